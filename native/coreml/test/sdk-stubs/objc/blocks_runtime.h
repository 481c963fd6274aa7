// GNUstep (built against gcc's libobjc on Debian) includes <objc/blocks_runtime.h>, which only libobjc2 ships.
// Debian's libblocksruntime-dev has the same declarations as <Block.h>; this forwards to it.
#pragma once
#include <Block.h>
