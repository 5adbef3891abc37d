// A fixed pool of worker threads that runs one job on all of them at a time (the blocks
// of a kernel launch). The calling thread is worker 0, so a pool of size 1 has no
// threads and runs everything in order.
#ifndef TESSEL_CPU_THREADPOOL_H
#define TESSEL_CPU_THREADPOOL_H

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tessel::cpu {

class ThreadPool {
public:
  /// `size` workers in all (0: one per hardware thread).
  explicit ThreadPool(unsigned size);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const { return size_; }

  /// Calls job(worker) once on every worker (0..size-1) and returns when all returned.
  /// One job at a time: concurrent callers wait their turn.
  void runOnAll(const std::function<void(unsigned worker)> &job);

private:
  void workerLoop(unsigned worker);

  unsigned size_;
  std::vector<std::thread> threads_;
  std::mutex runMutex_; // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(unsigned)> *job_ = nullptr;
  uint64_t generation_ = 0;
  unsigned running_ = 0;
  bool stop_ = false;
};

} // namespace tessel::cpu

#endif // TESSEL_CPU_THREADPOOL_H
