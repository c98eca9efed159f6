package hwinfo

// The vendors and devices below are copied as facts from the PCI ID
// repository's pci.ids (https://pci-ids.ucw.cz, github.com/pciutils/pciids
// at c1c12547d626, 2026-08-22); each line of Vendors and pciNames is a
// line of that file. Left out: Xorcom (e4e4: listed with no PCI device;
// its Astribanks are USB), and Sangoma's older cards that carry Xilinx's
// vendor ID 0x10ee (wanpipe's sdlapci.h SANGOMA_PCI_VENDOR_OLD), since
// that ID is not a telephony maker's; a card of either kind is still
// found when a telephony driver is bound to it.

// Vendor is a PCI vendor whose devices are telephony cards.
type Vendor struct {
	ID   uint32
	Name string
}

// Vendors are the PCI vendor IDs of telephony card makers, and of the
// bridge and ISDN controller chips their cards are built on (Tiger Jet's
// Tiger3XX under the Digium X100P and OpenVox A400P/A1200, Cologne Chip's
// HFC under BRI cards of Junghanns, beroNet, OpenVox and Allo).
var Vendors = []Vendor{
	{0x0b0b, "Rhino Equipment"},
	{0x1397, "Cologne Chip"},
	{0x12c7, "Dialogic"},
	{0x16df, "PIKA Technologies"},
	{0x1923, "Sangoma"},
	{0x1b74, "OpenVox"},
	{0x1d21, "Allo"},
	{0x5654, "VoiceTronix"},
	{0xd161, "Digium"},
	{0xe159, "Tiger Jet"},
}

// pciName names a device, or a device on a particular board when
// SubVendor is not 0.
type pciName struct {
	Vendor, Device       uint32
	SubVendor, SubDevice uint32
	Name                 string
}

var pciNames = []pciName{
	{0xd161, 0x0120, 0, 0, "Wildcard TE120P single-span T1/E1/J1 card"},
	{0xd161, 0x0205, 0, 0, "Wildcard TE205P/TE207P dual-span T1/E1/J1 card 5.0V"},
	{0xd161, 0x0210, 0, 0, "Wildcard TE210P/TE212P dual-span T1/E1/J1 card 3.3V"},
	{0xd161, 0x0220, 0, 0, "Wildcard TE220 dual-span T1/E1/J1 card 3.3V (PCI-Express)"},
	{0xd161, 0x0405, 0, 0, "Wildcard TE405P/TE407P quad-span T1/E1/J1 card 5.0V"},
	{0xd161, 0x0410, 0, 0, "Wildcard TE410P/TE412P quad-span T1/E1/J1 card 3.3V"},
	{0xd161, 0x0420, 0, 0, "Wildcard TE420P quad-span T1/E1/J1 card 3.3V (PCI-Express)"},
	{0xd161, 0x0800, 0, 0, "Wildcard TDM800P 8-port analog card"},
	{0xd161, 0x1205, 0, 0, "Wildcard TE205P/TE207P dual-span T1/E1/J1 card 5.0V (u1)"},
	{0xd161, 0x1220, 0, 0, "Wildcard TE220 dual-span T1/E1/J1 card 3.3V (PCI-Express) (5th gen)"},
	{0xd161, 0x1405, 0, 0, "Wildcard TE405P/TE407P quad-span T1/E1/J1 card 5.0V (u1)"},
	{0xd161, 0x1410, 0, 0, "Wildcard TE410P quad-span T1/E1/J1 card 3.3V (5th Gen)"},
	{0xd161, 0x1420, 0, 0, "Wildcard TE420 quad-span T1/E1/J1 card 3.3V (PCI-Express) (5th gen)"},
	{0xd161, 0x1820, 0, 0, "Wildcard TE820 octal-span T1/E1/J1 card 3.3V (PCI-Express)"},
	{0xd161, 0x2400, 0, 0, "Wildcard TDM2400P 24-port analog card"},
	{0xd161, 0x3400, 0, 0, "Wildcard TC400P transcoder base card"},
	{0xd161, 0x8000, 0, 0, "Wildcard TE121 single-span T1/E1/J1 card (PCI-Express)"},
	{0xd161, 0x8001, 0, 0, "Wildcard TE122 single-span T1/E1/J1 card"},
	{0xd161, 0x8002, 0, 0, "Wildcard AEX800 8-port analog card (PCI-Express)"},
	{0xd161, 0x8003, 0, 0, "Wildcard AEX2400 24-port analog card (PCI-Express)"},
	{0xd161, 0x8004, 0, 0, "Wildcard TCE400P transcoder base card"},
	{0xd161, 0x8005, 0, 0, "Wildcard TDM410 4-port analog card"},
	{0xd161, 0x8006, 0, 0, "Wildcard AEX410 4-port analog card (PCI-Express)"},
	{0xd161, 0x8007, 0, 0, "Hx8 Series 8-port Base Card"},
	{0xd161, 0x8008, 0, 0, "Hx8 Series 8-port Base Card (PCI-Express)"},
	{0xd161, 0x800a, 0, 0, "Wildcard TE133 single-span T1/E1/J1 card (PCI Express)"},
	{0xd161, 0x800b, 0, 0, "Wildcard TE134 single-span T1/E1/J1 card"},
	{0xd161, 0x800c, 0, 0, "Wildcard A8A 8-port analog card"},
	{0xd161, 0x800d, 0, 0, "Wildcard A8B 8-port analog card (PCI-Express)"},
	{0xd161, 0x800e, 0, 0, "Wildcard TE235/TE435 quad-span T1/E1/J1 card (PCI-Express)"},
	{0xd161, 0x800f, 0, 0, "Wildcard A4A 4-port analog card"},
	{0xd161, 0x8010, 0, 0, "Wildcard A4B 4-port analog card (PCI-Express)"},
	{0xd161, 0x8013, 0, 0, "Wildcard TE236/TE436 quad-span T1/E1/J1 card"},
	{0xd161, 0xb410, 0, 0, "Wildcard B410 quad-BRI card"},
	{0x1923, 0x0040, 0, 0, "A200/Remora FXO/FXS Analog AFT card"},
	{0x1923, 0x0100, 0, 0, "A104d QUAD T1/E1 AFT card"},
	{0x1923, 0x0300, 0, 0, "A101 single-port T1/E1"},
	{0x1923, 0x0400, 0, 0, "A104u Quad T1/E1 AFT"},
	{0x1b74, 0x0115, 0, 0, "D115P/D115E Single-port E1/T1 card"},
	{0x1b74, 0xd130, 0, 0, "D130P/D130E Single-port E1/T1 card (3rd GEN)"},
	{0x1b74, 0xd210, 0, 0, "D210P/D210E Dual-port E1/T1 card(2nd generation)"},
	{0x1b74, 0xd230, 0, 0, "D230 Dual-port E1/T1 card (2nd generation)"},
	{0x1b74, 0xd410, 0, 0, "D410/430 Quad-port E1/T1 card"},
	{0x1b74, 0xd430, 0, 0, "D410/430 Quad-port E1/T1 card"},
	{0x0b0b, 0x0105, 0, 0, "R1T1"},
	{0x0b0b, 0x0205, 0, 0, "R4FXO"},
	{0x0b0b, 0x0206, 0, 0, "RCB4FXO 4-channel FXO analog telephony card"},
	{0x0b0b, 0x0305, 0, 0, "R4T1"},
	{0x0b0b, 0x0405, 0, 0, "R8FXX"},
	{0x0b0b, 0x0406, 0, 0, "RCB8FXX 8-channel modular analog telephony card"},
	{0x0b0b, 0x0505, 0, 0, "R24FXX"},
	{0x0b0b, 0x0506, 0, 0, "RCB24FXS 24-Channel FXS analog telephony card"},
	{0x0b0b, 0x0605, 0, 0, "R2T1"},
	{0x0b0b, 0x0705, 0, 0, "R24FXS"},
	{0x0b0b, 0x0706, 0, 0, "RCB24FXO 24-Channel FXO analog telephony card"},
	{0x0b0b, 0x0905, 0, 0, "R1T3 Single T3 Digital Telephony Card"},
	{0x0b0b, 0x0906, 0, 0, "RCB24FXX 24-channel modular analog telephony card"},
	{0x0b0b, 0x0a06, 0, 0, "RCB672FXX 672-channel modular analog telephony card"},
	{0x12c7, 0x0546, 0, 0, "Springware D/120JCT-LS"},
	{0x12c7, 0x0647, 0, 0, "Springware D/240JCT-T1"},
	{0x12c7, 0x0676, 0, 0, "Springware D/41JCT-LS"},
	{0x12c7, 0x0685, 0, 0, "Springware D/480JCT-2T1"},
	{0x1397, 0x08b4, 0, 0, "ISDN network Controller [HFC-4S]"},
	{0x1397, 0x08b4, 0x1397, 0xb51a, "HFC-4S [Allo.com BRI card]"},
	{0x1397, 0x08b4, 0x1397, 0xe884, "HFC-4S [OpenVox B200P]"},
	{0x1397, 0x08b4, 0x1397, 0xe888, "HFC-4S [OpenVox B200P / B400P]"},
	{0x1397, 0x16b8, 0, 0, "ISDN network Controller [HFC-8S]"},
	{0x1397, 0x16b8, 0x1397, 0xe998, "HFC-8S [OpenVox B800P]"},
	{0x1397, 0x2bd0, 0, 0, "ISDN network controller [HFC-PCI]"},
	{0x1397, 0x30b1, 0, 0, "ISDN network Controller [HFC-E1]"},
	{0x1397, 0xb700, 0, 0, "ISDN network controller PrimuX S0 [HFC-PCI]"},
	{0x1397, 0xf001, 0, 0, "GSM Network Controller [HFC-4GSM]"},
	{0xe159, 0x0001, 0, 0, "Tiger3XX Modem/ISDN interface"},
	{0xe159, 0x0001, 0x8086, 0x0003, "Digium X100P/X101P analogue PSTN FXO interface"},
	{0xe159, 0x0001, 0xb100, 0x0003, "OpenVox A400P 4-port analog card"},
	{0xe159, 0x0001, 0xb1d9, 0x0003, "AX400P 4-port analog card"},
	{0xe159, 0x0002, 0, 0, "Tiger100APC ISDN chipset"},
}

// VendorName names a telephony vendor ID, "" for others.
func VendorName(id uint32) string {
	for _, v := range Vendors {
		if v.ID == id {
			return v.Name
		}
	}
	return ""
}

// DeviceName names a telephony device, the board's name when pci.ids has
// one for its subsystem IDs; "" when unknown.
func DeviceName(vendor, device, subVendor, subDevice uint32) string {
	name := ""
	for _, n := range pciNames {
		if n.Vendor != vendor || n.Device != device {
			continue
		}
		if n.SubVendor == subVendor && n.SubDevice == subDevice {
			return n.Name
		}
		if n.SubVendor == 0 {
			name = n.Name
		}
	}
	return name
}

// Drivers are the kernel drivers only telephony cards bind to: the
// pci_driver names of dahdi-linux's wct4xxp, wcte12xp, wcte13xp,
// wcte43x, wctdm24xxp, wcaxx, wcb4xxp, wctc4xxp, wctdm, wcfxo, wct1xxp
// (whose driver is named t1xxp), wcte11xp and opvxa1200. Sangoma's wanpipe
// binds none: its sdladrv finds cards with pci_get_device, so they show
// no driver link, and /proc/interrupts names the IRQ's user ("wanpipe1").
var Drivers = []string{
	"wct4xxp", "wcte12xp", "wcte13xp", "wcte43x", "wctdm24xxp", "wcaxx", "wcb4xxp",
	"wctc4xxp", "wctdm", "wcfxo", "t1xxp", "wcte11xp", "opvxa1200",
}
