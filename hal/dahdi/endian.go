package dahdi

import "encoding/binary"

// littleEndian: DAHDI's linear samples are C shorts in the host's order.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
