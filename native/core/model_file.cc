#include "model_file.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.h"

namespace pilotscope {
namespace {

constexpr char kMagic[8] = {'P', 'S', 'N', 'A', 'T', 'I', 'V', 'E'};
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8 + 4;
// Upper bound for any count read from a file, so a corrupted length cannot trigger a huge allocation.
constexpr uint64_t kMaxCount = 1ull << 31;

std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

const char* kindName(uint32_t kind) {
  switch (kind) {
    case static_cast<uint32_t>(ModelKind::Mscn): return "MSCN";
    case static_cast<uint32_t>(ModelKind::Lero): return "Lero";
    default: return "unknown";
  }
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  static const std::array<uint32_t, 256> table = makeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void ByteWriter::raw(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  bytes_.insert(bytes_.end(), b, b + n);
}
void ByteWriter::str(const std::string& s) {
  u32(static_cast<uint32_t>(s.size()));
  raw(s.data(), s.size());
}
void ByteWriter::strings(const std::vector<std::string>& v) {
  u32(static_cast<uint32_t>(v.size()));
  for (const auto& s : v) str(s);
}
void ByteWriter::floats(const std::vector<float>& v) {
  u64(v.size());
  raw(v.data(), v.size() * sizeof(float));
}

void ByteReader::raw(void* out, size_t n, const char* what) {
  if (n > size_ - pos_)
    throw ModelFormatError(std::string("model file is truncated or corrupt: payload ends while reading ") + what);
  std::memcpy(out, data_ + pos_, n);
  pos_ += n;
}
uint32_t ByteReader::u32(const char* what) {
  uint32_t v;
  raw(&v, sizeof v, what);
  return v;
}
uint64_t ByteReader::u64(const char* what) {
  uint64_t v;
  raw(&v, sizeof v, what);
  return v;
}
int32_t ByteReader::i32(const char* what) {
  int32_t v;
  raw(&v, sizeof v, what);
  return v;
}
double ByteReader::f64(const char* what) {
  double v;
  raw(&v, sizeof v, what);
  return v;
}
std::string ByteReader::str(const char* what) {
  const uint32_t n = u32(what);
  if (n > size_ - pos_) throw ModelFormatError(std::string("model file is corrupt: string too long in ") + what);
  std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return s;
}
std::vector<std::string> ByteReader::strings(const char* what) {
  const uint32_t n = u32(what);
  if (n > size_ - pos_) throw ModelFormatError(std::string("model file is corrupt: bad list length in ") + what);
  std::vector<std::string> v;
  v.reserve(n);
  for (uint32_t i = 0; i < n; ++i) v.push_back(str(what));
  return v;
}
std::vector<float> ByteReader::floats(const char* what) {
  const uint64_t n = u64(what);
  if (n > kMaxCount || n * sizeof(float) > size_ - pos_)
    throw ModelFormatError(std::string("model file is truncated or corrupt: bad array length in ") + what);
  std::vector<float> v(n);
  raw(v.data(), n * sizeof(float), what);
  return v;
}

std::vector<uint8_t> wrapModel(ModelKind kind, const std::vector<uint8_t>& payload) {
  ByteWriter w;
  std::vector<uint8_t>& out = w.bytes();
  out.reserve(kHeaderSize + payload.size());
  out.insert(out.end(), kMagic, kMagic + 8);
  w.u32(kModelFormatVersion);
  w.u32(static_cast<uint32_t>(kind));
  w.u64(payload.size());
  w.u32(crc32(payload.data(), payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return std::move(out);
}

ByteReader unwrapModel(ModelKind expected, const uint8_t* data, size_t size) {
  if (size < kHeaderSize)
    throw ModelFormatError("model file is truncated: " + std::to_string(size) + " bytes, the header alone is " +
                           std::to_string(kHeaderSize));
  if (std::memcmp(data, kMagic, 8) != 0)
    throw ModelFormatError("not a PilotScope native model file (bad magic); was it written by model.save()?");
  ByteReader header(data + 8, kHeaderSize - 8);
  const uint32_t version = header.u32("format version");
  const uint32_t kind = header.u32("model kind");
  const uint64_t payloadSize = header.u64("payload size");
  const uint32_t checksum = header.u32("checksum");
  if (version != kModelFormatVersion)
    throw ModelFormatError("model file has format version " + std::to_string(version) + "; this build reads version " +
                           std::to_string(kModelFormatVersion) + ": retrain the model or use a matching build");
  if (kind != static_cast<uint32_t>(expected))
    throw ModelFormatError(std::string("model file holds a ") + kindName(kind) + " model, not a " +
                           kindName(static_cast<uint32_t>(expected)) + " model");
  if (payloadSize != size - kHeaderSize)
    throw ModelFormatError("model file is truncated or has trailing bytes: header announces " +
                           std::to_string(payloadSize) + " payload bytes, found " + std::to_string(size - kHeaderSize));
  if (crc32(data + kHeaderSize, payloadSize) != checksum)
    throw ModelFormatError("model file is corrupted: checksum mismatch");
  return ByteReader(data + kHeaderSize, payloadSize);
}

std::vector<uint8_t> readFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw InvalidArgument("cannot open model file '" + path + "': " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw InvalidArgument("cannot read model file '" + path + "'");
  return bytes;
}

void writeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw InvalidArgument("cannot write model file '" + path + "': " + std::strerror(errno));
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InvalidArgument("cannot write model file '" + path + "': " + std::strerror(errno));
  }
}

}  // namespace pilotscope
