#include "Cases.h"
#include "HelperPtx.h"

#include "vm/Codec.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <cmath>

namespace tessel::bench {

std::string GemmShape::str() const { return absl::StrCat("M=", m, " N=", n, " K=", k); }

std::vector<int64_t> defaultGemmRows() { return {1, 16, 64, 128, 4096}; }

std::vector<std::pair<int64_t, int64_t>> defaultGemmColumns() {
  return {{4096, 4096}, {11008, 4096}, {4096, 11008}, {8192, 8192}, {28672, 8192}, {57344, 8192}};
}

//===----------------------------------------------------------------------===//
// Random f16 data
//===----------------------------------------------------------------------===//


const char *DeviceRandom::ptx() { return kFillF16Ptx; }
const char *DeviceRandom::entry() { return "tessel_bench_fill_f16"; }

uint16_t DeviceRandom::expectedF16(uint64_t index, uint32_t seed) {
  uint32_t h = uint32_t(index) + seed * 0x9E3779B9u;
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  float value = float(h >> 8) * 0x1p-23f - 1.0f; // exact in f32, as on the GPU
  return uint16_t(vm::encode(vm::DType::f16(), double(value), vm::Overflow::kIeee));
}

absl::StatusOr<std::shared_ptr<DeviceRandom>> DeviceRandom::create(cuda::CudaBackend &backend) {
  absl::StatusOr<std::shared_ptr<cuda::LoadedKernel>> kernel =
      backend.loadPtx(kFillF16Ptx, entry(), /*sharedBytes=*/0, /*threads=*/256);
  if (!kernel.ok())
    return kernel.status();
  auto random = std::make_shared<DeviceRandom>();
  random->backend_ = &backend;
  random->kernel_ = *kernel;
  return random;
}

absl::Status DeviceRandom::fillF16(vm::DeviceAddress address, uint64_t count, uint32_t seed) {
  if (count == 0)
    return absl::OkStatus();
  if (count > (uint64_t(1) << 32))
    return absl::InvalidArgumentError("fillF16: at most 2^32 elements");
  constexpr int64_t kThreads = 256;
  vm::Grid grid;
  grid.x = std::min<int64_t>((int64_t(count) + kThreads - 1) / kThreads, 8192);
  cuda::KernelParams params;
  params.addU64(address);
  params.addU64(count);
  params.addS32(int32_t(seed)); // .u32 in the PTX: the same four bytes
  return backend_->launchAsync(*kernel_, grid, kThreads, params);
}

//===----------------------------------------------------------------------===//
// Cases
//===----------------------------------------------------------------------===//

absl::Status GemmContext::ensure(cuda::CudaBackend &backend, const GemmShape &shape) {
  if (!random)
    return absl::FailedPreconditionError("GemmContext: no random fill kernel");
  struct Need {
    cuda::DeviceBuffer *buffer;
    uint64_t elements;
    uint32_t seed;
  } needs[] = {{&a, uint64_t(shape.m * shape.k), 1},
               {&w, uint64_t(shape.n * shape.k), 2},
               {&c, uint64_t(shape.m * shape.n), 3}};
  for (const Need &need : needs) {
    uint64_t bytes = 2 * need.elements;
    if (need.buffer->size() >= bytes)
      continue;
    need.buffer->reset(); // free first: the largest shapes need most of the memory
    absl::StatusOr<cuda::DeviceBuffer> grown = backend.allocateBuffer(bytes);
    if (!grown.ok())
      return grown.status();
    *need.buffer = std::move(*grown);
    if (absl::Status s = random->fillF16(need.buffer->address(), need.elements, need.seed);
        !s.ok())
      return s;
  }
  return backend.synchronize();
}

BenchCase makeCopyCase(uint64_t bytes) {
  BenchCase c;
  c.name = "copy";
  c.shape = absl::StrCat(bytes >> 20, " MiB");
  c.bytesMoved = 2 * bytes;
  c.isCopyReference = true;
  struct Buffers {
    cuda::DeviceBuffer src, dst;
    cuda::CudaBackend *backend = nullptr;
  };
  auto buffers = std::make_shared<Buffers>();
  c.setup = [buffers, bytes](cuda::CudaBackend &backend) -> absl::Status {
    buffers->backend = &backend;
    for (cuda::DeviceBuffer *buffer : {&buffers->src, &buffers->dst}) {
      absl::StatusOr<cuda::DeviceBuffer> allocated = backend.allocateBuffer(bytes);
      if (!allocated.ok())
        return allocated.status();
      *buffer = std::move(*allocated);
    }
    return backend.fillAsync(buffers->src.address(), 0x5a, bytes);
  };
  c.run = [buffers, bytes] {
    return buffers->backend->copyAsync(buffers->dst.address(), buffers->src.address(), bytes);
  };
  c.teardown = [buffers] {
    buffers->src.reset();
    buffers->dst.reset();
  };
  return c;
}

BenchCase makeCublasCase(const GemmShape &shape, std::shared_ptr<GemmContext> context) {
  BenchCase c;
  c.name = "cublas-f16";
  c.shape = shape.str();
  c.bytesMoved = 2 * uint64_t(shape.m * shape.k + shape.n * shape.k + shape.m * shape.n);
  c.flops = 2.0 * double(shape.m) * double(shape.n) * double(shape.k);
  c.compareWithCublas = shape;
  c.isCublasReference = true;
  c.setup = [context, shape](cuda::CudaBackend &backend) -> absl::Status {
    if (!context->cublas)
      return absl::FailedPreconditionError("cuBLAS is not loaded");
    return context->ensure(backend, shape);
  };
  c.run = [context, shape] {
    return context->cublas->gemmF16RowMajor(shape.m, shape.n, shape.k, context->a.address(),
                                            context->w.address(), context->c.address());
  };
  return c;
}

//===----------------------------------------------------------------------===//
// Self-checks
//===----------------------------------------------------------------------===//

namespace {

absl::StatusOr<std::vector<uint16_t>> download(cuda::CudaBackend &backend,
                                               const cuda::DeviceBuffer &buffer,
                                               uint64_t elements) {
  std::vector<uint16_t> host(elements);
  if (absl::Status s = backend.copyToHost(host.data(), buffer.address(), 2 * elements); !s.ok())
    return s;
  return host;
}

double decodeF16(uint16_t bits) { return vm::decode(vm::DType::f16(), bits); }

} // namespace

absl::Status checkRandomFill(cuda::CudaBackend &backend, DeviceRandom &random) {
  // Odd size: the grid-stride loop's tail; more elements than one pass of the grid.
  const uint64_t count = (uint64_t(1) << 22) + 37;
  const uint32_t seed = 12345;
  absl::StatusOr<cuda::DeviceBuffer> buffer = backend.allocateBuffer(2 * count);
  if (!buffer.ok())
    return buffer.status();
  if (absl::Status s = random.fillF16(buffer->address(), count, seed); !s.ok())
    return s;
  if (absl::Status s = backend.synchronize(); !s.ok())
    return s;
  absl::StatusOr<std::vector<uint16_t>> host = download(backend, *buffer, count);
  if (!host.ok())
    return host.status();
  for (uint64_t i = 0; i < count; ++i) {
    uint16_t expected = DeviceRandom::expectedF16(i, seed);
    if ((*host)[i] != expected)
      return absl::InternalError(absl::StrCat("random fill check: element ", i, " is 0x",
                                              absl::Hex((*host)[i]), ", expected 0x",
                                              absl::Hex(expected)));
  }
  return absl::OkStatus();
}

absl::Status checkCublasGemm(cuda::CudaBackend &backend, Cublas &cublas, DeviceRandom &random) {
  const GemmShape shapes[] = {{1, 64, 256}, {7, 13, 64}, {33, 50, 128}, {128, 96, 4096}};
  for (const GemmShape &shape : shapes) {
    GemmContext context;
    context.cublas = &cublas;
    context.random = std::shared_ptr<DeviceRandom>(&random, [](DeviceRandom *) {});
    if (absl::Status s = context.ensure(backend, shape); !s.ok())
      return s;
    if (absl::Status s = cublas.gemmF16RowMajor(shape.m, shape.n, shape.k, context.a.address(),
                                                context.w.address(), context.c.address());
        !s.ok())
      return s;
    if (absl::Status s = backend.synchronize(); !s.ok())
      return s;
    absl::StatusOr<std::vector<uint16_t>> c = download(backend, context.c, uint64_t(shape.m * shape.n));
    if (!c.ok())
      return c.status();
    // ensure() filled A with seed 1 and W with seed 2.
    for (int64_t i = 0; i < shape.m; ++i)
      for (int64_t j = 0; j < shape.n; ++j) {
        double sum = 0, magnitude = 0;
        for (int64_t k = 0; k < shape.k; ++k) {
          double a = decodeF16(DeviceRandom::expectedF16(uint64_t(i * shape.k + k), 1));
          double w = decodeF16(DeviceRandom::expectedF16(uint64_t(j * shape.k + k), 2));
          sum += a * w;
          magnitude += std::fabs(a * w);
        }
        double got = decodeF16((*c)[size_t(i * shape.n + j)]);
        // f16 output rounding (2^-11 relative) plus f32 accumulation, with margin. A wrong
        // row/column mapping is off by O(sqrt(K)).
        double tolerance = std::fabs(sum) * 0x1p-10 + magnitude * 1e-4 + 1e-6;
        if (!(std::fabs(got - sum) <= tolerance))
          return absl::InternalError(absl::StrCat("cuBLAS check at ", shape.str(), ": C[", i, ",",
                                                  j, "] = ", got, ", expected ", sum));
      }
  }
  return absl::OkStatus();
}

} // namespace tessel::bench
