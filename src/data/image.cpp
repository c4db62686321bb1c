// PNG (through libpng, its errors turned into soma::Error) and PGM images, and bilinear resize.
#include "soma/data/image.h"

#include <png.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "data/bytes.h"
#include "soma/creation.h"

namespace soma::data {

namespace {

constexpr int64_t kMaxPixels = int64_t{1} << 28;

// [C, H, W] from interleaved H x W x C samples (uint8 or host-order uint16) scaled by 1 / maxval.
Tensor planar(const void* samples, int64_t h, int64_t w, int64_t c, int depth, int64_t row_bytes, int64_t maxval,
              DType dtype) {
  Tensor out = empty({c, h, w}, dtype);
  const int64_t plane = h * w;
  auto convert = [&]<class S, class D>(D* o, auto scale) {
    for (int64_t y = 0; y < h; ++y) {
      const S* row = reinterpret_cast<const S*>(static_cast<const char*>(samples) + y * row_bytes);
      for (int64_t x = 0; x < w; ++x)
        for (int64_t k = 0; k < c; ++k) o[k * plane + y * w + x] = scale(row[x * c + k]);
    }
  };
  if (dtype == kUInt8) {
    auto to8 = [&](auto v) { return static_cast<uint8_t>((v * 255 + maxval / 2) / maxval); };
    if (depth == 16)
      convert.operator()<uint16_t>(out.data<uint8_t>(), [&](uint16_t v) { return to8(int64_t{v}); });
    else if (maxval == 255)
      convert.operator()<uint8_t>(out.data<uint8_t>(), [](uint8_t v) { return v; });
    else
      convert.operator()<uint8_t>(out.data<uint8_t>(), [&](uint8_t v) { return to8(int64_t{v}); });
  } else {
    const float m = static_cast<float>(maxval);
    if (depth == 16)
      convert.operator()<uint16_t>(out.data<float>(), [&](uint16_t v) { return static_cast<float>(v) / m; });
    else
      convert.operator()<uint8_t>(out.data<float>(), [&](uint8_t v) { return static_cast<float>(v) / m; });
  }
  return out;
}

void check_dtype(const char* op, DType dtype) {
  SOMA_CHECK(dtype == kFloat32 || dtype == kUInt8, "{}: dtype must be float32 or uint8, got {}", op, dtype_name(dtype));
}

// ---- PNG ----------------------------------------------------------------------------------------

struct PngIo {
  std::string_view bytes;
  size_t pos = 0;
  std::string* out = nullptr;  // writing
  char error[256] = "";
};

void png_on_error(png_structp png, png_const_charp msg) {
  auto* io = static_cast<PngIo*>(png_get_error_ptr(png));
  std::snprintf(io->error, sizeof io->error, "%s", msg);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

void png_on_read(png_structp png, png_bytep out, size_t n) {
  auto* io = static_cast<PngIo*>(png_get_io_ptr(png));
  if (n > io->bytes.size() - io->pos) png_error(png, "unexpected end of file");
  std::memcpy(out, io->bytes.data() + io->pos, n);
  io->pos += n;
}

void png_on_write(png_structp png, png_bytep data, size_t n) {
  static_cast<PngIo*>(png_get_io_ptr(png))->out->append(reinterpret_cast<const char*>(data), n);
}

// The libpng steps, each in a function of its own with nothing to destroy, so that libpng's
// longjmp on an error skips no destructor.
bool png_read_header(png_structp png, png_infop info, bool to8) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  const int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (depth == 16) {
    if (to8)
      png_set_scale_16(png);
    else
      png_set_swap(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

bool png_read_pixels(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

bool png_write_all(png_structp png, png_infop info, uint32_t w, uint32_t h, int color, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, w, h, 8, color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

// ---- PGM ----------------------------------------------------------------------------------------

struct PgmReader {
  std::string_view s;
  size_t pos = 0;
  const std::string& name;

  void skip_space() {
    while (pos < s.size()) {
      if (s[pos] == '#') {
        while (pos < s.size() && s[pos] != '\n' && s[pos] != '\r') ++pos;
      } else if (std::isspace(static_cast<unsigned char>(s[pos]))) {
        ++pos;
      } else {
        break;
      }
    }
  }
  // A decimal number in [0, limit]; `what` names it in errors.
  int64_t number(const char* what, int64_t limit) {
    skip_space();
    SOMA_CHECK(pos < s.size(), "read_pgm: '{}' ends before its {} (byte {})", name, what, pos);
    SOMA_CHECK(std::isdigit(static_cast<unsigned char>(s[pos])), "read_pgm: '{}': expected the {} at byte {}, found '{}'",
               name, what, pos, s[pos]);
    int64_t v = 0;
    const size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      v = v * 10 + (s[pos++] - '0');
      SOMA_CHECK(v <= limit, "read_pgm: '{}': the {} at byte {} exceeds {}", name, what, start, limit);
    }
    return v;
  }
};

}  // namespace

Tensor decode_png(std::string_view bytes, const ImageOptions& options, const std::string& name) {
  check_dtype("read_png", options.dtype);
  SOMA_CHECK(bytes.size() >= 8 && png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0,
             "read_png: '{}' is not a PNG file (bad signature)", name);
  PngIo io{bytes};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, png_on_error, png_on_warning);
  SOMA_CHECK(png, "read_png: cannot start libpng");
  png_infop info = png_create_info_struct(png);
  struct Guard {
    png_structp* png;
    png_infop* info;
    ~Guard() { png_destroy_read_struct(png, info, nullptr); }
  } guard{&png, &info};
  SOMA_CHECK(info, "read_png: cannot start libpng");
  png_set_read_fn(png, &io, png_on_read);
  png_set_user_limits(png, 1 << 20, 1 << 20);
  const bool to8 = options.dtype == kUInt8;
  SOMA_CHECK(png_read_header(png, info, to8), "read_png: '{}': {}", name, io.error);
  const int64_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  const int64_t c = png_get_channels(png, info), depth = png_get_bit_depth(png, info);
  SOMA_CHECK(w * h <= kMaxPixels, "read_png: '{}' is too large ({} x {} pixels)", name, w, h);
  const int64_t row_bytes = static_cast<int64_t>(png_get_rowbytes(png, info));
  SOMA_CHECK(row_bytes == w * c * depth / 8, "read_png: '{}': unexpected row layout", name);
  std::vector<unsigned char> pixels(static_cast<size_t>(h * row_bytes));
  std::vector<png_bytep> rows(h);
  for (int64_t y = 0; y < h; ++y) rows[y] = pixels.data() + y * row_bytes;
  SOMA_CHECK(png_read_pixels(png, rows.data()), "read_png: '{}': {}", name, io.error);
  return planar(pixels.data(), h, w, c, static_cast<int>(depth), row_bytes, depth == 16 ? 65535 : 255, options.dtype);
}

Tensor decode_pgm(std::string_view bytes, const ImageOptions& options, const std::string& name) {
  check_dtype("read_pgm", options.dtype);
  SOMA_CHECK(bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '2' || bytes[1] == '5'),
             "read_pgm: '{}' is not a PGM file (expected P2 or P5 at the start)", name);
  const bool binary = bytes[1] == '5';
  PgmReader r{bytes, 2, name};
  const int64_t w = r.number("width", kMaxPixels), h = r.number("height", kMaxPixels);
  const int64_t maxval = r.number("maxval", 65535);
  SOMA_CHECK(w > 0 && h > 0 && w * h <= kMaxPixels, "read_pgm: '{}' has bad size {} x {}", name, w, h);
  SOMA_CHECK(maxval > 0, "read_pgm: '{}' has maxval 0", name);
  const int depth = maxval > 255 ? 16 : 8;
  std::vector<uint16_t> wide;
  std::vector<uint8_t> narrow;
  const int64_t n = w * h;
  if (binary) {
    SOMA_CHECK(r.pos < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[r.pos])),
               "read_pgm: '{}': expected a whitespace byte after the maxval", name);
    const int64_t start = static_cast<int64_t>(r.pos) + 1, size = n * (depth / 8);
    const int64_t have = static_cast<int64_t>(bytes.size()) - start;
    SOMA_CHECK(have == size, "read_pgm: '{}' has {} bytes of pixels, but {} x {} at maxval {} need {}", name, have, w, h,
               maxval, size);
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + start);
    if (depth == 16) {
      wide.resize(n);
      for (int64_t i = 0; i < n; ++i) wide[i] = static_cast<uint16_t>(p[2 * i] << 8 | p[2 * i + 1]);
    } else {
      narrow.assign(p, p + n);
    }
    for (int64_t i = 0; i < n; ++i)
      SOMA_CHECK((depth == 16 ? wide[i] : narrow[i]) <= maxval, "read_pgm: '{}': pixel {} is {}, above maxval {}", name,
                 i, depth == 16 ? wide[i] : narrow[i], maxval);
  } else {
    if (depth == 16)
      wide.resize(n);
    else
      narrow.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = r.number("pixel value", maxval);
      if (depth == 16)
        wide[i] = static_cast<uint16_t>(v);
      else
        narrow[i] = static_cast<uint8_t>(v);
    }
    r.skip_space();
    SOMA_CHECK(r.pos == bytes.size(), "read_pgm: '{}' has unexpected data after its {} pixels (byte {})", name, n, r.pos);
  }
  const void* data = depth == 16 ? static_cast<const void*>(wide.data()) : narrow.data();
  return planar(data, h, w, 1, depth, w * (depth / 8), maxval, options.dtype);
}

Tensor read_png(const std::string& path, const ImageOptions& options) {
  return decode_png(detail::read_file(path, "read_png"), options, path);
}

Tensor read_pgm(const std::string& path, const ImageOptions& options) {
  return decode_pgm(detail::read_file(path, "read_pgm"), options, path);
}

Tensor read_image(const std::string& path, const ImageOptions& options) {
  const std::string bytes = detail::read_file(path, "read_image");
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '2' || bytes[1] == '5')) return decode_pgm(bytes, options, path);
  return decode_png(bytes, options, path);
}

void write_png(const std::string& path, const Tensor& image) {
  Tensor img = image.dim() == 2 ? image.unsqueeze(0) : image;
  SOMA_CHECK(img.dim() == 3 && img.size(0) >= 1 && img.size(0) <= 4 && img.size(1) > 0 && img.size(2) > 0,
             "write_png: expected an image [C, H, W] with C in 1..4 or [H, W], got shape {}", image.shape());
  SOMA_CHECK(img.dtype() == kUInt8 || img.is_floating_point(), "write_png: expected uint8 or floating point, got {}",
             dtype_name(img.dtype()));
  const int64_t c = img.size(0), h = img.size(1), w = img.size(2);
  // Interleave to H x W x C bytes.
  std::vector<unsigned char> pixels(h * w * c);
  if (img.dtype() == kUInt8) {
    const std::vector<uint8_t> v = img.permute({1, 2, 0}).contiguous().to_vector<uint8_t>();
    std::copy(v.begin(), v.end(), pixels.begin());
  } else {
    const std::vector<double> v = img.permute({1, 2, 0}).contiguous().to_vector<double>();
    for (size_t i = 0; i < v.size(); ++i)
      pixels[i] = static_cast<unsigned char>(std::lround(std::clamp(std::isnan(v[i]) ? 0.0 : v[i], 0.0, 1.0) * 255));
  }
  std::vector<png_bytep> rows(h);
  for (int64_t y = 0; y < h; ++y) rows[y] = pixels.data() + y * w * c;
  static constexpr int kColor[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                   PNG_COLOR_TYPE_RGB_ALPHA};
  std::string out;
  PngIo io;
  io.out = &out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, png_on_error, png_on_warning);
  SOMA_CHECK(png, "write_png: cannot start libpng");
  png_infop info = png_create_info_struct(png);
  struct Guard {
    png_structp* png;
    png_infop* info;
    ~Guard() { png_destroy_write_struct(png, info); }
  } guard{&png, &info};
  SOMA_CHECK(info, "write_png: cannot start libpng");
  png_set_write_fn(png, &io, png_on_write, nullptr);
  SOMA_CHECK(png_write_all(png, info, static_cast<uint32_t>(w), static_cast<uint32_t>(h), kColor[c - 1], rows.data()),
             "write_png: '{}': {}", path, io.error);
  std::ofstream file(path, std::ios::binary);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  SOMA_CHECK(file.good(), "write_png: cannot write '{}'", path);
}

Tensor resize(const Tensor& image, int64_t height, int64_t width) {
  SOMA_CHECK(image.dim() >= 2 && image.dim() <= 4, "resize: expected an image [H, W], [C, H, W] or [N, C, H, W], got shape {}",
             image.shape());
  SOMA_CHECK(height > 0 && width > 0, "resize: the size must be positive, got {} x {}", height, width);
  SOMA_CHECK(image.size(-2) > 0 && image.size(-1) > 0, "resize: the image is empty (shape {})", image.shape());
  const Tensor src = (image.is_floating_point() ? image : image.to(kFloat32)).contiguous();
  const int64_t in_h = src.size(-2), in_w = src.size(-1), planes = src.numel() / (in_h * in_w);
  Shape shape = src.shape();
  shape[shape.size() - 2] = height;
  shape[shape.size() - 1] = width;
  // Source taps of each output coordinate: index, next index, weight of the next.
  struct Tap {
    int64_t i0, i1;
    double frac;
  };
  auto taps = [](int64_t in, int64_t out) {
    std::vector<Tap> t(out);
    const double scale = static_cast<double>(in) / static_cast<double>(out);
    for (int64_t o = 0; o < out; ++o) {
      const double s = std::max(0.0, (o + 0.5) * scale - 0.5);
      const int64_t i0 = std::min(static_cast<int64_t>(s), in - 1);
      t[o] = {i0, std::min(i0 + 1, in - 1), s - static_cast<double>(i0)};
    }
    return t;
  };
  const std::vector<Tap> ty = taps(in_h, height), tx = taps(in_w, width);
  Tensor out = empty(shape, src.dtype() == kFloat64 ? kFloat64 : kFloat32);
  Tensor in = src.to(out.dtype());
  dispatch_float(out.dtype(), [&]<class T>() {
    const T* s = in.data<T>();
    T* o = out.data<T>();
    for (int64_t p = 0; p < planes; ++p, s += in_h * in_w, o += height * width)
      for (int64_t y = 0; y < height; ++y) {
        const T fy = static_cast<T>(ty[y].frac);
        const T* r0 = s + ty[y].i0 * in_w;
        const T* r1 = s + ty[y].i1 * in_w;
        for (int64_t x = 0; x < width; ++x) {
          const T fx = static_cast<T>(tx[x].frac);
          const T top = r0[tx[x].i0] * (1 - fx) + r0[tx[x].i1] * fx;
          const T bottom = r1[tx[x].i0] * (1 - fx) + r1[tx[x].i1] * fx;
          o[y * width + x] = top * (1 - fy) + bottom * fy;
        }
      }
  });
  return out;
}

}  // namespace soma::data
