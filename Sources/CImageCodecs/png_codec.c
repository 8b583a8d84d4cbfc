// PNG through libpng 1.6: memory source/sink, setjmp error handling, no output to stderr.
//
// Every public function keeps its state in a context struct owned by the caller frame and runs
// the libpng calls in a separate `*_guarded` function that holds the setjmp. No automatic
// variable of the function that calls setjmp changes after it, so nothing is indeterminate after
// a longjmp (C11 7.13.2.1).
#include "image_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    png_structp png;
    png_infop info;
    png_bytep *rows;
    const uint8_t *data;
    size_t size;
    size_t position;
    int ran_out;
    uint8_t *encoded;
    size_t encoded_size;
    size_t encoded_capacity;
    int out_of_memory;
    char *message;
} png_context;

static void set_message(char *message, const char *text) {
    if (message == NULL) return;
    snprintf(message, LV_MESSAGE_CAPACITY, "%s", text == NULL ? "unknown error" : text);
}

static void on_png_error(png_structp png, png_const_charp text) {
    png_context *context = (png_context *)png_get_error_ptr(png);
    if (context != NULL) set_message(context->message, text);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void read_from_memory(png_structp png, png_bytep destination, size_t length) {
    png_context *context = (png_context *)png_get_io_ptr(png);
    if (length > context->size - context->position) {
        context->ran_out = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(destination, context->data + context->position, length);
    context->position += length;
}

static void write_to_memory(png_structp png, png_bytep source, size_t length) {
    png_context *context = (png_context *)png_get_io_ptr(png);
    if (length > context->encoded_capacity - context->encoded_size) {
        size_t capacity = context->encoded_capacity == 0 ? 4096 : context->encoded_capacity;
        while (length > capacity - context->encoded_size) {
            if (capacity > SIZE_MAX / 2) png_error(png, "encoded image too large");
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(context->encoded, capacity);
        if (grown == NULL) {
            context->out_of_memory = 1;
            png_error(png, "out of memory");
        }
        context->encoded = grown;
        context->encoded_capacity = capacity;
    }
    memcpy(context->encoded + context->encoded_size, source, length);
    context->encoded_size += length;
}

static void flush_memory(png_structp png) { (void)png; }

/// Checks the signature of `data`, then sets up `context` (zeroed by the caller) to read it: the read
/// structs with a memory source. LV_OK, LV_ERROR_CORRUPT or LV_ERROR_MEMORY.
static int open_reader(png_context *context, const uint8_t *data, size_t size, char *message) {
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        set_message(message, "not a PNG signature");
        return LV_ERROR_CORRUPT;
    }
    context->data = data;
    context->size = size;
    context->message = message;
    context->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context, on_png_error,
                                          on_png_warning);
    if (context->png == NULL) {
        set_message(context->message, "libpng could not allocate its read struct");
        return LV_ERROR_MEMORY;
    }
    context->info = png_create_info_struct(context->png);
    if (context->info == NULL) {
        png_destroy_read_struct(&context->png, NULL, NULL);
        set_message(context->message, "libpng could not allocate its info struct");
        return LV_ERROR_MEMORY;
    }
    png_set_read_fn(context->png, context, read_from_memory);
    // Let the caller's pixel limit decide about size, not libpng's default 1e6 x 1e6.
    png_set_user_limits(context->png, 0x7fffffff, 0x7fffffff);
    return LV_OK;
}

static void close_reader(png_context *context) {
    free(context->rows);
    context->rows = NULL;
    png_destroy_read_struct(&context->png, &context->info, NULL);
}

static int failure_status(const png_context *context) {
    if (context->out_of_memory) return LV_ERROR_MEMORY;
    return context->ran_out ? LV_ERROR_TRUNCATED : LV_ERROR_CORRUPT;
}

static int read_info_guarded(png_context *context, lv_image_info *out) {
    if (setjmp(png_jmpbuf(context->png))) return failure_status(context);
    png_read_info(context->png, context->info);
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(context->png, context->info, &width, &height, &bit_depth, &color_type,
                 &interlace, NULL, NULL);
    memset(out, 0, sizeof(*out));
    out->width = width;
    out->height = height;
    out->bit_depth = bit_depth;
    out->color_type = color_type;
    out->interlaced = interlace != PNG_INTERLACE_NONE;
    out->extra = png_get_valid(context->png, context->info, PNG_INFO_tRNS) ? 1 : 0;
    png_colorp palette = NULL;
    int entries = 0;
    if (png_get_PLTE(context->png, context->info, &palette, &entries) == PNG_INFO_PLTE &&
        palette != NULL && entries > 0 && entries <= 256) {
        out->palette_size = entries;
        for (int i = 0; i < entries; i++) {
            out->palette[3 * i] = palette[i].red;
            out->palette[3 * i + 1] = palette[i].green;
            out->palette[3 * i + 2] = palette[i].blue;
        }
    }
    return LV_OK;
}

int lv_png_read_info(const uint8_t *data, size_t size, lv_image_info *info, char *message) {
    png_context context = {0};
    int status = open_reader(&context, data, size, message);
    if (status != LV_OK) return status;
    status = read_info_guarded(&context, info);
    close_reader(&context);
    return status;
}

/// Sets the read transforms for `layout`; returns the output channel count, 0 for a bad layout.
static int set_transforms(png_structp png, png_infop info, int layout) {
    int bit_depth = png_get_bit_depth(png, info);
    int color_type = png_get_color_type(png, info);
    int grey = (color_type & PNG_COLOR_MASK_COLOR) == 0;
    png_set_interlace_handling(png);
    if (layout == LV_PNG_INDEX8) {
        if (color_type != PNG_COLOR_TYPE_PALETTE) return 0;
        if (bit_depth < 8) png_set_packing(png);
        return 1;
    }
    if (layout != LV_PNG_RGB8 && layout != LV_PNG_WIDE16) return 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (grey && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    // Always: besides removing an alpha channel, strip_alpha cancels the tRNS expansion that
    // palette_to_rgb and expand_16 would otherwise add (libpng >= 1.5.4), so tRNS is ignored.
    png_set_strip_alpha(png);
    if (layout == LV_PNG_RGB8) {
        if (bit_depth == 16) png_set_strip_16(png);
        if (grey) png_set_gray_to_rgb(png);
        return 3;
    }
    if (bit_depth < 16) png_set_expand_16(png);
    return grey ? 1 : 3;
}

static int decode_guarded(png_context *context, int layout, uint8_t *out, size_t out_size) {
    if (setjmp(png_jmpbuf(context->png))) return failure_status(context);
    png_structp png = context->png;
    png_infop info = context->info;
    png_read_info(png, info);
    int channels = set_transforms(png, info, layout);
    if (channels == 0) {
        set_message(context->message, "unknown PNG output layout");
        return LV_ERROR_ARGUMENT;
    }
    png_read_update_info(png, info);
    size_t width = png_get_image_width(png, info);
    size_t height = png_get_image_height(png, info);
    size_t sample_bytes = layout == LV_PNG_WIDE16 ? 2 : 1;
    size_t row_bytes = width * (size_t)channels * sample_bytes;
    if (height == 0 || row_bytes == 0 || png_get_rowbytes(png, info) != row_bytes ||
        out_size % row_bytes != 0 || out_size / row_bytes != height) {
        set_message(context->message, "output buffer does not match the decoded PNG layout");
        return LV_ERROR_ARGUMENT;
    }
    context->rows = (png_bytep *)malloc(height * sizeof(png_bytep));
    if (context->rows == NULL) {
        set_message(context->message, "out of memory for row pointers");
        return LV_ERROR_MEMORY;
    }
    for (size_t y = 0; y < height; y++) context->rows[y] = out + y * row_bytes;
    png_read_image(png, context->rows);
    // No png_read_end: chunks after the image data (even a missing IEND) do not matter, as in PIL.
    return LV_OK;
}

int lv_png_decode(const uint8_t *data, size_t size, int layout, uint8_t *out, size_t out_size,
                  char *message) {
    png_context context = {0};
    int status = open_reader(&context, data, size, message);
    if (status != LV_OK) return status;
    status = decode_guarded(&context, layout, out, out_size);
    close_reader(&context);
    return status;
}

static int encode_guarded(png_context *context, const uint8_t *pixels, uint32_t width,
                          uint32_t height, int channels, int bit_depth) {
    if (setjmp(png_jmpbuf(context->png))) return failure_status(context);
    png_structp png = context->png;
    png_set_write_fn(png, context, write_to_memory, flush_memory);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    int color_type = channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB;
    png_set_IHDR(png, context->info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    context->rows = (png_bytep *)malloc((size_t)height * sizeof(png_bytep));
    if (context->rows == NULL) {
        set_message(context->message, "out of memory for row pointers");
        return LV_ERROR_MEMORY;
    }
    // libpng does not write through row pointers when encoding; the cast only drops const.
    for (size_t y = 0; y < height; y++) context->rows[y] = (png_bytep)(pixels + y * row_bytes);
    png_set_rows(png, context->info, context->rows);
    png_write_png(png, context->info, PNG_TRANSFORM_IDENTITY, NULL);
    return LV_OK;
}

int lv_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  int bit_depth, uint8_t **out, size_t *out_size, char *message) {
    *out = NULL;
    *out_size = 0;
    if ((channels != 1 && channels != 3) || (bit_depth != 8 && bit_depth != 16) || width == 0 ||
        height == 0) {
        set_message(message, "PNG encoding needs 1 or 3 channels, 8 or 16 bits, nonzero size");
        return LV_ERROR_ARGUMENT;
    }
    png_context context = {0};
    context.message = message;
    context.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, on_png_error,
                                          on_png_warning);
    if (context.png == NULL) {
        set_message(message, "libpng could not allocate its write struct");
        return LV_ERROR_MEMORY;
    }
    context.info = png_create_info_struct(context.png);
    if (context.info == NULL) {
        png_destroy_write_struct(&context.png, NULL);
        set_message(message, "libpng could not allocate its info struct");
        return LV_ERROR_MEMORY;
    }
    int status = encode_guarded(&context, pixels, width, height, channels, bit_depth);
    free(context.rows);
    png_destroy_write_struct(&context.png, &context.info);
    if (status != LV_OK) {
        free(context.encoded);
        return status;
    }
    *out = context.encoded;
    *out_size = context.encoded_size;
    return LV_OK;
}

void lv_free(void *pointer) { free(pointer); }
