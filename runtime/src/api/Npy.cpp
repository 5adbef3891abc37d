#include "tessel/runtime/Npy.h"

#include "vm/BitPack.h"
#include "vm/Codec.h"

#include "absl/strings/str_cat.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace tessel::runtime {
namespace {

absl::Status bad(const std::string &path, const std::string &what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

struct NpyType {
  const char *descr;
  DType dtype;
};

const NpyType kTypes[] = {
    {"<f2", DType::f16()},          {"<f4", DType::f32()},
    {"|i1", DType::signlessInt(8)}, {"|u1", DType::unsignedInt(8)},
    {"<i2", DType::signlessInt(16)}, {"<u2", DType::unsignedInt(16)},
    {"<i4", DType::signlessInt(32)}, {"<u4", DType::unsignedInt(32)},
    {"|b1", DType::signlessInt(1)},
};

// The value of `key` in the header dict: a quoted string, a tuple or a literal.
std::string field(const std::string &header, const std::string &key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos)
    return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos)
    return "";
  size_t start = header.find_first_not_of(" ", colon + 1);
  if (start == std::string::npos)
    return "";
  char open = header[start];
  size_t end;
  if (open == '\'')
    end = header.find('\'', start + 1);
  else if (open == '(')
    end = header.find(')', start);
  else
    end = header.find_first_of(",}", start) - 1;
  if (end == std::string::npos || end < start)
    return "";
  return header.substr(start, end - start + 1);
}

} // namespace

absl::StatusOr<Tensor> readNpy(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return bad(path, "not a .npy file");
  uint32_t headerLength = 0;
  if (magic[6] == 1) {
    unsigned char len[2];
    if (!in.read(reinterpret_cast<char *>(len), 2))
      return bad(path, "truncated header");
    headerLength = len[0] | (len[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char len[4];
    if (!in.read(reinterpret_cast<char *>(len), 4))
      return bad(path, "truncated header");
    headerLength = len[0] | (len[1] << 8) | (len[2] << 16) | (uint32_t(len[3]) << 24);
  } else {
    return bad(path, absl::StrCat("unsupported .npy version ", int(magic[6])));
  }
  if (headerLength > (1 << 20))
    return bad(path, "header too long");
  std::string header(headerLength, '\0');
  if (!in.read(header.data(), headerLength))
    return bad(path, "truncated header");
  std::string descr = field(header, "descr");
  std::string fortran = field(header, "fortran_order");
  std::string shapeText = field(header, "shape");
  if (descr.size() < 2 || shapeText.empty())
    return bad(path, "malformed header");
  descr = descr.substr(1, descr.size() - 2);
  if (fortran.rfind("False", 0) != 0)
    return bad(path, "Fortran-order arrays are not supported (save with np.ascontiguousarray)");
  const NpyType *type = nullptr;
  for (const NpyType &t : kTypes)
    if (descr == t.descr || (descr.size() == 3 && descr[0] == '=' &&
                             descr.substr(1) == std::string(t.descr).substr(1)))
      type = &t;
  if (!type)
    return bad(path, absl::StrCat("dtype '", descr,
                                  "' is not supported (float16, float32, int8..int32, "
                                  "uint8..uint32, bool)"));
  std::vector<int64_t> shape;
  std::stringstream dims(shapeText.substr(1, shapeText.size() - 2));
  std::string item;
  while (std::getline(dims, item, ',')) {
    size_t b = item.find_first_not_of(" ");
    if (b == std::string::npos)
      continue;
    char *end = nullptr;
    long long d = std::strtoll(item.c_str() + b, &end, 10);
    if (d < 0 || d > (int64_t(1) << 40))
      return bad(path, "bad shape");
    shape.push_back(d);
  }
  DType dtype = type->dtype;
  size_t count = 1;
  for (int64_t d : shape)
    count *= size_t(d);
  size_t elementBytes = dtype.bits() == 1 ? 1 : dtype.bits() / 8;
  std::vector<uint8_t> raw(count * elementBytes);
  if (!in.read(reinterpret_cast<char *>(raw.data()), std::streamsize(raw.size())))
    return bad(path, absl::StrCat("truncated data: expected ", raw.size(), " bytes"));
  Tensor tensor = Tensor::allocate(dtype, shape);
  if (dtype.bits() == 1) // bool: one byte per element -> packed bits
    for (size_t i = 0; i < count; ++i)
      vm::writeBitsAt(tensor.dataAs<uint8_t>(), i, 1, raw[i] ? 1 : 0);
  else
    std::memcpy(tensor.data(), raw.data(), raw.size());
  return tensor;
}

absl::Status writeNpy(const std::string &path, const Tensor &tensor) {
  DType dtype = tensor.dtype();
  std::string descr;
  std::vector<uint8_t> data;
  size_t count = size_t(tensor.numElements());
  const auto *src = tensor.dataAs<uint8_t>();
  for (const NpyType &t : kTypes)
    if (t.dtype == dtype)
      descr = t.descr;
  if (dtype == DType::bf16()) {
    descr = "<f4";
    data.resize(count * 4);
    for (size_t i = 0; i < count; ++i) {
      float f = float(vm::decode(dtype, uint32_t(src[2 * i]) | uint32_t(src[2 * i + 1]) << 8));
      std::memcpy(&data[4 * i], &f, 4);
    }
  } else if (descr == "|b1" || (descr.empty() && dtype.bits() < 8)) {
    if (descr.empty())
      descr = dtype.isSignedInteger() ? "|i1" : "|u1";
    data.resize(count);
    for (size_t i = 0; i < count; ++i) {
      uint8_t code = vm::readBits(src, i, dtype.bits());
      // Signed codes are sign-extended so int8 shows their value.
      if (dtype.isSignedInteger() && dtype.bits() > 1 && (code >> (dtype.bits() - 1)))
        code = uint8_t(code | (0xFF << dtype.bits()));
      data[i] = code;
    }
  } else if (!descr.empty()) {
    data.assign(src, src + tensor.sizeInBytes());
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot write ", dtype.name(), " as .npy"));
  }
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape().size(); ++i)
    shape += std::to_string(tensor.shape()[i]) + (tensor.shape().size() == 1 ? "," : i + 1 < tensor.shape().size() ? ", " : "");
  shape += ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  const char magic[] = "\x93NUMPY\x01\x00";
  out.write(magic, 8);
  uint16_t len = uint16_t(header.size());
  out.put(char(len & 0xFF));
  out.put(char(len >> 8));
  out.write(header.data(), std::streamsize(header.size()));
  out.write(reinterpret_cast<const char *>(data.data()), std::streamsize(data.size()));
  if (!out)
    return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

} // namespace tessel::runtime
