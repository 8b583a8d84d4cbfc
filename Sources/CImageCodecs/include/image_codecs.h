// CImageCodecs: a small, mechanical C layer over libpng and libjpeg(-turbo) for LucidVision.
//
// Both libraries report errors by longjmp. Jumping across Swift frames is undefined behaviour, so
// every library call happens in the C functions below, behind their own setjmp; Swift only sees
// status codes and a message. Nothing here allocates memory that outlives a call: Swift reads the
// header first (lv_*_read_info), checks the size against its pixel limit, allocates the output,
// and then asks for the pixels (lv_*_decode / lv_png_encode).
#ifndef LUCID_IMAGE_CODECS_H
#define LUCID_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Capacity of the message buffers (including the terminating NUL).
#define LV_MESSAGE_CAPACITY 256

/// Status codes returned by every function.
enum {
    LV_OK = 0,
    /// The library rejected the data (bad signature, bad CRC, bad Huffman table, ...).
    LV_ERROR_CORRUPT = 1,
    /// The data ended before the image did.
    LV_ERROR_TRUNCATED = 2,
    /// Valid data that this layer does not decode (JPEG with 2 components, 12-bit JPEG, ...).
    LV_ERROR_UNSUPPORTED = 3,
    /// A buffer size passed by the caller does not match the image.
    LV_ERROR_ARGUMENT = 4,
    /// malloc failed.
    LV_ERROR_MEMORY = 5,
};

/// Header facts of a PNG or JPEG stream.
typedef struct {
    uint32_t width;
    uint32_t height;
    /// PNG: bits per sample (1, 2, 4, 8, 16). JPEG: data precision (8).
    int32_t bit_depth;
    /// PNG: colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). JPEG: component count.
    int32_t color_type;
    /// PNG: 1 when Adam7-interlaced. JPEG: 1 when progressive.
    int32_t interlaced;
    /// PNG: 1 when a tRNS chunk is present. JPEG: 1 when an Adobe APP14 marker was seen.
    int32_t extra;
    /// JPEG only: libjpeg's J_COLOR_SPACE of the stream (1 grey, 3 YCbCr, 4 CMYK, 5 YCCK, ...).
    int32_t jpeg_color_space;
    /// PNG palette images: the PLTE entries (RGB triples) and their count (0 otherwise).
    int32_t palette_size;
    uint8_t palette[768];
} lv_image_info;

/// PNG pixel layouts lv_png_decode can produce.
enum {
    /// 8-bit RGB, 3 bytes a pixel: palette expanded, grey replicated, 16-bit samples reduced to
    /// their high byte, alpha and tRNS dropped (never composited).
    LV_PNG_RGB8 = 0,
    /// 16-bit big-endian samples, 1 channel (grey, grey+alpha) or 3 (RGB, RGBA, palette):
    /// 1/2/4-bit grey scaled to 8 bits, 8-bit samples widened by byte replication (v * 257),
    /// palette expanded, alpha and tRNS dropped.
    LV_PNG_WIDE16 = 1,
    /// Palette images only: one byte a pixel, the palette index (1/2/4-bit indices unpacked),
    /// so that the caller can map indices past the PLTE entries the way PIL does.
    LV_PNG_INDEX8 = 2,
};

/// Reads the PNG signature and IHDR. Does not touch the image data.
int lv_png_read_info(const uint8_t *data, size_t size, lv_image_info *info, char *message);

/// Decodes a whole PNG into `out` (exactly `out_size` bytes: width * height * channels * bytes
/// per sample for `layout`). Checks the size before writing anything.
int lv_png_decode(const uint8_t *data, size_t size, int layout, uint8_t *out, size_t out_size,
                  char *message);

/// Encodes interleaved samples as a PNG with the default zlib level and no filters chosen by
/// hand. `channels` is 1 (grey) or 3 (RGB); `bit_depth` is 8 or 16 (16-bit samples are given
/// big-endian, two bytes each). On success `*out` is a malloc'ed buffer of `*out_size` bytes
/// that the caller frees with lv_free.
int lv_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  int bit_depth, uint8_t **out, size_t *out_size, char *message);

/// Frees a buffer returned by lv_png_encode.
void lv_free(void *pointer);

/// Reads the JPEG header (SOI up to the first SOS). Does not decode any scan.
int lv_jpeg_read_info(const uint8_t *data, size_t size, lv_image_info *info, char *message);

/// Decodes a whole JPEG with libjpeg's default settings (islow IDCT, fancy upsampling) into
/// `out`: 1 byte a pixel for greyscale, 3 (RGB) for YCbCr/RGB, 4 (CMYK as stored, for Adobe
/// files usually inverted) for CMYK/YCCK. `out_size` must be width * height * that count.
/// Warnings are ignored except a premature end of data before the last scanline, which is
/// LV_ERROR_TRUNCATED (PIL raises "image file is truncated" there).
int lv_jpeg_decode(const uint8_t *data, size_t size, uint8_t *out, size_t out_size,
                   char *message);

#ifdef __cplusplus
}
#endif

#endif
