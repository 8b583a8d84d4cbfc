// libpng 1.6 (Debian: libpng-dev). Used only by the C target CImageCodecs.
#include <png.h>
