// libjpeg-turbo with the libjpeg 6b API (Debian: libjpeg62-turbo-dev). Used only by CImageCodecs.
// jpeglib.h needs size_t and FILE declared before it is included.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
