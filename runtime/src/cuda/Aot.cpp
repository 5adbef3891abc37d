#include "cuda/Aot.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace tessel::cuda {

namespace {

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A private temporary directory, removed with its files on destruction.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/tessel-aot-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()))
      path_ = buf.data();
  }
  ~TempDir() {
    for (const std::string &f : files_)
      unlink(f.c_str());
    if (!path_.empty())
      rmdir(path_.c_str());
  }
  bool ok() const { return !path_.empty(); }
  std::string file(const std::string &name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

private:
  std::string path_;
  std::vector<std::string> files_;
};

// Runs `argv` with stdout and stderr into `log`; the exit status, -1 when it could not
// run, or -2 - N when signal N ended it.
int run(const std::vector<std::string> &argv, const std::string &log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -2 - WTERMSIG(status) : -1;
}

// The largest "N bytes stack frame" in ptxas -v's report (0 when none).
int64_t stackFrameBytes(const std::string &report) {
  int64_t most = 0;
  const std::string marker = " bytes stack frame";
  for (size_t at = report.find(marker); at != std::string::npos; at = report.find(marker, at + 1)) {
    size_t begin = at;
    while (begin > 0 && report[begin - 1] >= '0' && report[begin - 1] <= '9')
      --begin;
    int64_t v = 0;
    if (begin < at && absl::SimpleAtoi(report.substr(begin, at - begin), &v))
      most = std::max(most, v);
  }
  return most;
}

} // namespace

absl::StatusOr<DeviceTarget> deviceTarget(const std::string &device) {
  int cc = 0;
  if (device.size() < 5 || device.compare(0, 3, "sm_") != 0 ||
      !absl::SimpleAtoi(device.substr(3), &cc) || cc < 10 || cc > 199)
    return absl::InvalidArgumentError(
        absl::StrCat("'", device, "' is not a GPU architecture (sm_80, sm_86, sm_89, sm_90, ...)"));
  int major = cc / 10, minor = cc % 10;
  absl::StatusOr<Target> target = targetForComputeCapability(major, minor);
  if (!target.ok())
    return target.status();
  // The backend's knobs too, so that a GPU run with them finds its cubins.
  if (absl::Status s = applyTargetEnvironment(*target); !s.ok())
    return s;
  return DeviceTarget{*target, jitArchFor(*target, device)};
}

KernelCacheKey aotCacheKey(const std::string &ptx, const std::string &jitArch) {
  // Driver version 0 and the compiler in the options: never the key of a JIT result.
  return KernelCacheKey{ptx, jitArch, 0, "ptxas:ahead-of-time"};
}

absl::StatusOr<Precompiled> precompileKernels(const vm::Program &program, const DeviceTarget &device,
                                      const std::string &ptxas, KernelCache &cache) {
  if (!cache.enabled())
    return absl::FailedPreconditionError(
        absl::StrCat("the kernel cache is disabled: ", cache.disabledReason()));
  TempDir dir;
  if (!dir.ok())
    return absl::InternalError("cannot create a temporary directory for ptxas");
  Precompiled count;
  // Compiles `ptx` (the kernel's variant `tag`) with ptxas -v and stores the cubin;
  // returns ptxas's stack frame size (local memory: its register spills).
  auto compile = [&](uint32_t k, const std::string &ptx, const std::string &tag) -> absl::StatusOr<int64_t> {
    const std::string &name = program.functions()[k].name;
    std::string stem = absl::StrCat(k, tag);
    std::string ptxFile = dir.file(stem + ".ptx"), cubinFile = dir.file(stem + ".cubin"),
                log = dir.file(stem + ".log");
    {
      std::ofstream out(ptxFile, std::ios::binary);
      out << ptx;
      if (!out)
        return absl::InternalError(absl::StrCat("cannot write ", ptxFile));
    }
    int rc = run({ptxas, "-v", "-arch=" + device.jitArch, ptxFile, "-o", cubinFile}, log);
    std::optional<std::string> messages = readFile(log);
    if (rc != 0)
      return absl::Status(rc > 0 ? absl::StatusCode::kInvalidArgument : absl::StatusCode::kFailedPrecondition,
                          absl::StrCat(
          "kernel '", name, "': ",
          rc == -1  ? absl::StrCat("cannot run ", ptxas)
          : rc < -1 ? absl::StrCat(ptxas, " was ended by signal ", -2 - rc)
                    : absl::StrCat(ptxas, " failed (exit ", rc, ")"),
          messages && !messages->empty() ? ":\n" + *messages : ""));
    std::optional<std::string> cubin = readFile(cubinFile);
    if (!cubin || cubin->empty())
      return absl::InternalError(absl::StrCat("kernel '", name, "': ptxas wrote no cubin"));
    if (!cache.store(aotCacheKey(ptx, device.jitArch), cubin->data(), cubin->size()))
      return absl::InternalError(absl::StrCat("kernel '", name, "': cannot write the cache entry under ",
                                              cache.directory()));
    return stackFrameBytes(messages.value_or(""));
  };
  for (uint32_t k = 0; k < program.functions().size(); ++k) {
    if (program.functions()[k].kind != vm::FunctionKind::kKernel)
      continue;
    const std::string &name = program.functions()[k].name;
    absl::StatusOr<EmittedKernel> emitted = emitKernel(program, k, device.target);
    if (!emitted.ok())
      return absl::Status(emitted.status().code(),
                          absl::StrCat("kernel '", name, "': ", emitted.status().message()));
    absl::StatusOr<int64_t> local = compile(k, emitted->ptx, "");
    if (!local.ok())
      return local.status();
    ++count.kernels;
    // The backend tries other variants of a kernel that spills (spillVariantKernels,
    // CudaBackend.cpp) until one does not: compile the same ones. One that ptxas refuses
    // (an error, not a failure to run it) the backend's JIT refuses too, and skips.
    if (*local > 0)
      for (const KernelVariant &variant : spillVariantKernels(program, k, device.target, *emitted)) {
        absl::StatusOr<int64_t> otherLocal = compile(k, variant.kernel.ptx, absl::StrCat("-", count.variants));
        if (!otherLocal.ok() && otherLocal.status().code() == absl::StatusCode::kInvalidArgument)
          continue;
        if (!otherLocal.ok())
          return otherLocal.status();
        ++count.variants;
        if (*otherLocal == 0)
          break;
      }
  }
  return count;
}

} // namespace tessel::cuda
