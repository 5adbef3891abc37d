#include "cpu/ThreadPool.h"

#include <algorithm>

namespace tessel::cpu {

ThreadPool::ThreadPool(unsigned size) {
  if (size == 0)
    size = std::max(1u, std::thread::hardware_concurrency());
  size_ = size;
  for (unsigned w = 1; w < size_; ++w)
    threads_.emplace_back([this, w] { workerLoop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : threads_)
    t.join();
}

void ThreadPool::workerLoop(unsigned worker) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(unsigned)> *job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
      job = job_;
    }
    (*job)(worker);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--running_ == 0)
        done_.notify_all();
    }
  }
}

void ThreadPool::runOnAll(const std::function<void(unsigned worker)> &job) {
  std::lock_guard<std::mutex> run(runMutex_);
  if (threads_.empty()) {
    job(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    running_ = unsigned(threads_.size());
    ++generation_;
  }
  wake_.notify_all();
  job(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return running_ == 0; });
}

} // namespace tessel::cpu
