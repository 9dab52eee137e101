// The versioned binary container of a saved model (documented in native/README.md):
//
//   "PSNATIVE" | u32 format version | u32 model kind | u64 payload bytes | u32 CRC-32 | payload
//
// All integers and floats little-endian. The payload is written/read with ByteWriter/ByteReader.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pilotscope {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "model files are little-endian; port ByteWriter first");

constexpr uint32_t kModelFormatVersion = 1;
enum class ModelKind : uint32_t { Mscn = 1, Lero = 2 };

uint32_t crc32(const uint8_t* data, size_t size);

class ByteWriter {
 public:
  void u32(uint32_t v) { raw(&v, sizeof v); }
  void u64(uint64_t v) { raw(&v, sizeof v); }
  void i32(int32_t v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void str(const std::string& s);
  void strings(const std::vector<std::string>& v);
  void floats(const std::vector<float>& v);
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void raw(const void* p, size_t n);
  std::vector<uint8_t> bytes_;
};

// Bounds-checked reader; every overrun is a ModelFormatError naming what was being read.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t u32(const char* what);
  uint64_t u64(const char* what);
  int32_t i32(const char* what);
  double f64(const char* what);
  std::string str(const char* what);
  std::vector<std::string> strings(const char* what);
  std::vector<float> floats(const char* what);
  bool atEnd() const { return pos_ == size_; }

 private:
  void raw(void* out, size_t n, const char* what);
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Wraps a payload into the container.
std::vector<uint8_t> wrapModel(ModelKind kind, const std::vector<uint8_t>& payload);
// Checks the container (magic, version, kind, length, checksum); returns the payload's bounds.
ByteReader unwrapModel(ModelKind expected, const uint8_t* data, size_t size);

std::vector<uint8_t> readFile(const std::string& path);
// Writes atomically: a temporary file next to the target, then rename.
void writeFile(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace pilotscope
