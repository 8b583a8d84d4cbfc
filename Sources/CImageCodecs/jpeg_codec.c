// JPEG through libjpeg(-turbo), 6b API: memory source, setjmp error handling, no stderr output.
//
// Same structure as png_codec.c: state lives in a context owned by the public function, and the
// libjpeg calls run in a `*_guarded` function holding the setjmp.
#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr manager;  // first member: libjpeg's err pointer is cast back to this
    jmp_buf jump;
    int premature_end;
    int complete;
    char *message;
} jpeg_error_context;

typedef struct {
    struct jpeg_decompress_struct info;
    jpeg_error_context error;
    int created;
} jpeg_context;

static void set_message(char *message, const char *text) {
    if (message == NULL) return;
    snprintf(message, LV_MESSAGE_CAPACITY, "%s", text == NULL ? "unknown error" : text);
}

static void on_jpeg_error(j_common_ptr info) {
    jpeg_error_context *error = (jpeg_error_context *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    set_message(error->message, text);
    longjmp(error->jump, 1);
}

/// Records warnings instead of printing them; a premature end of data is remembered.
static void on_jpeg_message(j_common_ptr info, int level) {
    jpeg_error_context *error = (jpeg_error_context *)info->err;
    if (level < 0) {
        info->err->num_warnings++;
        if (info->err->msg_code == JWRN_JPEG_EOF) error->premature_end = 1;
    }
}

static void on_jpeg_output(j_common_ptr info) { (void)info; }

/// Sets up `context` (zeroed by the caller) to report into `message`; LV_ERROR_TRUNCATED for empty data.
static int open_decoder(jpeg_context *context, size_t size, char *message) {
    if (size == 0) {
        set_message(message, "empty JPEG data");
        return LV_ERROR_TRUNCATED;
    }
    context->info.err = jpeg_std_error(&context->error.manager);
    context->error.manager.error_exit = on_jpeg_error;
    context->error.manager.emit_message = on_jpeg_message;
    context->error.manager.output_message = on_jpeg_output;
    context->error.message = message;
    return LV_OK;
}

static int failure_status(const jpeg_context *context) {
    if (context->error.complete) return LV_OK;
    return context->error.premature_end ? LV_ERROR_TRUNCATED : LV_ERROR_CORRUPT;
}

/// Creates the decompressor and reads the header. Must run under the caller's setjmp.
static void read_header(jpeg_context *context, const uint8_t *data, size_t size) {
    jpeg_create_decompress(&context->info);
    context->created = 1;
    jpeg_mem_src(&context->info, (const unsigned char *)data, (unsigned long)size);
    (void)jpeg_read_header(&context->info, TRUE);
}

static int read_info_guarded(jpeg_context *context, const uint8_t *data, size_t size,
                             lv_image_info *out) {
    if (setjmp(context->error.jump)) return failure_status(context);
    read_header(context, data, size);
    memset(out, 0, sizeof(*out));
    out->width = context->info.image_width;
    out->height = context->info.image_height;
    out->bit_depth = context->info.data_precision;
    out->color_type = context->info.num_components;
    out->interlaced = jpeg_has_multiple_scans(&context->info) ? 1 : 0;
    out->extra = context->info.saw_Adobe_marker ? 1 : 0;
    out->jpeg_color_space = (int32_t)context->info.jpeg_color_space;
    return LV_OK;
}

int lv_jpeg_read_info(const uint8_t *data, size_t size, lv_image_info *info, char *message) {
    jpeg_context context;
    memset(&context, 0, sizeof(context));
    int status = open_decoder(&context, size, message);
    if (status != LV_OK) return status;
    status = read_info_guarded(&context, data, size, info);
    if (context.created) jpeg_destroy_decompress(&context.info);
    return status;
}

/// Picks libjpeg's output colour space as PIL's JpegImagePlugin does for 1, 3 and 4 components.
static int choose_output(jpeg_context *context) {
    switch (context->info.num_components) {
        case 1:
            context->info.out_color_space = JCS_GRAYSCALE;
            return 1;
        case 3:
            context->info.out_color_space = JCS_RGB;
            return 3;
        case 4:
            context->info.out_color_space = JCS_CMYK;
            return 4;
        default:
            return 0;
    }
}

static int decode_guarded(jpeg_context *context, const uint8_t *data, size_t size, uint8_t *out,
                          size_t out_size) {
    if (setjmp(context->error.jump)) return failure_status(context);
    read_header(context, data, size);
    if (context->info.data_precision != 8) {
        set_message(context->error.message, "only 8-bit JPEG samples are supported");
        return LV_ERROR_UNSUPPORTED;
    }
    int components = choose_output(context);
    if (components == 0) {
        set_message(context->error.message, "JPEG component count is not 1, 3 or 4");
        return LV_ERROR_UNSUPPORTED;
    }
    size_t row_bytes = (size_t)context->info.image_width * (size_t)components;
    size_t height = context->info.image_height;
    if (row_bytes == 0 || height == 0 || out_size % row_bytes != 0 ||
        out_size / row_bytes != height) {
        set_message(context->error.message, "output buffer does not match the JPEG size");
        return LV_ERROR_ARGUMENT;
    }
    (void)jpeg_start_decompress(&context->info);
    if (context->info.output_components != components ||
        (size_t)context->info.output_width * (size_t)components != row_bytes ||
        (size_t)context->info.output_height != height) {
        set_message(context->error.message, "libjpeg chose an unexpected output layout");
        return LV_ERROR_ARGUMENT;
    }
    while (context->info.output_scanline < context->info.output_height) {
        JSAMPROW row = out + (size_t)context->info.output_scanline * row_bytes;
        if (jpeg_read_scanlines(&context->info, &row, 1) != 1) {
            set_message(context->error.message, "libjpeg returned no scanline");
            return LV_ERROR_CORRUPT;
        }
    }
    if (context->error.premature_end) {
        set_message(context->error.message, "premature end of JPEG data");
        return LV_ERROR_TRUNCATED;
    }
    // Every scanline is in: from here on nothing fails, as in PIL (a missing EOI, trailing
    // garbage or an error while finishing leaves the decoded pixels as they are).
    context->error.complete = 1;
    (void)jpeg_finish_decompress(&context->info);
    return LV_OK;
}

int lv_jpeg_decode(const uint8_t *data, size_t size, uint8_t *out, size_t out_size,
                   char *message) {
    jpeg_context context;
    memset(&context, 0, sizeof(context));
    int status = open_decoder(&context, size, message);
    if (status != LV_OK) return status;
    status = decode_guarded(&context, data, size, out, out_size);
    if (context.created) jpeg_destroy_decompress(&context.info);
    return status;
}
