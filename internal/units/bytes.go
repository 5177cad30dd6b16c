// Package units formats and parses the quantities PacketBuddy shows to people:
// byte counts, transfer speeds and money. It is pure (no I/O, no project
// imports) so the API, the CLI, the reports and the config all print the same
// strings for the same numbers.
//
// Byte counts follow the API contract's "human_readable" rule: decimal units
// (base 1000: B, KB, MB, GB, TB, PB, EB) by default, an integer under one
// kilobyte ("532 B") and two decimals above ("2.62 MB"). Values are rounded
// first and then promoted to the next unit when the rounded value reaches the
// base, so 999,995 B is "1.00 MB" and never "1000.00 KB".
package units

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Base selects the unit family for byte counts and speeds.
type Base int

const (
	// SI is the decimal family (1 KB = 1000 B): KB, MB, GB, ... It is the
	// default because the v1 API printed decimal units and clients compare
	// those strings.
	SI Base = iota
	// IEC is the binary family (1 KiB = 1024 B): KiB, MiB, GiB, ...
	IEC
)

var (
	siUnits  = [...]string{"B", "KB", "MB", "GB", "TB", "PB", "EB"}
	iecUnits = [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
)

// String returns "si" or "iec", the spelling ParseBase accepts.
func (b Base) String() string {
	switch b {
	case SI:
		return "si"
	case IEC:
		return "iec"
	}
	return "Base(" + strconv.Itoa(int(b)) + ")"
}

// ParseBase parses a unit-base setting: "si" (or "decimal") and "iec" (or
// "binary"), case-insensitive. The API's optional unit parameter uses it.
func ParseBase(s string) (Base, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "si", "decimal":
		return SI, nil
	case "iec", "binary":
		return IEC, nil
	}
	return SI, fmt.Errorf("unknown unit base %q: use \"si\" (1 KB = 1000 B) or \"iec\" (1 KiB = 1024 B)", s)
}

// radix is the step between units; anything that is not IEC is treated as SI
// so a zero or corrupt Base still prints the compatible decimal units.
func (b Base) radix() uint64 {
	if b == IEC {
		return 1024
	}
	return 1000
}

func (b Base) units() *[7]string {
	if b == IEC {
		return &iecUnits
	}
	return &siUnits
}

// FormatBytes formats a byte count in decimal units: "0 B", "532 B",
// "2.62 MB", "1.00 MB" for 999,995 B.
func FormatBytes(n uint64) string { return FormatBytesBase(n, SI) }

// FormatBytesBase formats a byte count in the given base: an integer under
// one unit step ("999 B", or "1023 B" in IEC), otherwise two decimals in the
// largest unit that keeps the rounded value below the step ("1.50 GiB").
func FormatBytesBase(n uint64, b Base) string {
	radix := b.radix()
	u := b.units()
	if n < radix {
		return strconv.FormatUint(n, 10) + " B"
	}
	// Pick the largest unit not above n, so the value before rounding is in
	// [1, radix).
	i, div := 0, uint64(1)
	for i < len(u)-1 && n/div >= radix {
		i++
		div *= radix
	}
	for {
		h := hundredths(n, div)
		// Round first, then promote: 999,995 B is 999.995 KB, which rounds to
		// 1000.00 KB, which must read 1.00 MB.
		if h >= 100*radix && i < len(u)-1 {
			i++
			div *= radix
			continue
		}
		return fmt.Sprintf("%d.%02d %s", h/100, h%100, u[i])
	}
}

// hundredths returns n/div in hundredths, rounded half up, exactly: n*100 can
// exceed 64 bits, so the product is kept in 128 bits.
func hundredths(n, div uint64) uint64 {
	hi, lo := bits.Mul64(n, 100)
	q, r := bits.Div64(hi, lo, div) // hi < 100 <= div, so no overflow panic
	if r >= div-r {                 // r*2 >= div without overflowing
		q++
	}
	return q
}

// FormatSpeed formats a rate in decimal units per second: "12.40 MB/s".
func FormatSpeed(bytesPerSec uint64) string { return FormatBytesBase(bytesPerSec, SI) + "/s" }

// FormatSpeedBase formats a rate per second in the given base: "11.83 MiB/s".
func FormatSpeedBase(bytesPerSec uint64, b Base) string {
	return FormatBytesBase(bytesPerSec, b) + "/s"
}

// GB converts bytes to gigabytes in the given base (1e9 bytes for SI, 2^30 for
// IEC). The cost block's gb_used uses it with the same base as human_readable,
// so "1.50 GB" of traffic is priced as 1.5 GB.
func GB(bytes uint64, b Base) float64 {
	if b == IEC {
		return float64(bytes) / (1 << 30)
	}
	return float64(bytes) / 1e9
}

// sizeExample ends every ParseBytes error, so a user who typed something wrong
// sees what right looks like.
const sizeExample = `; write a number with an optional unit, e.g. "50GB", "1.5TiB", "500 MB" or "1024"`

// ErrSize is wrapped by every ParseBytes error, for callers that want to tell
// a bad size from other failures with errors.Is.
var ErrSize = errors.New("invalid size")

// unitMultipliers maps a lower-case unit to its size in bytes. Bare "k", "m",
// ... are not accepted: tools disagree on whether "1k" is 1000 or 1024.
var unitMultipliers = map[string]uint64{
	"": 1, "b": 1, "byte": 1, "bytes": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15, "eb": 1e18,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50, "eib": 1 << 60,
}

// ParseBytes parses a size such as "50GB", "1.5TiB", "500 MB", "2kb" or "1024"
// into bytes. Units are case-insensitive; KB, MB, GB, TB, PB and EB are
// decimal and KiB, MiB, GiB, TiB, PiB and EiB binary; a number without a unit
// is bytes. Decimals are allowed and rounded to the nearest byte, except that
// a plain byte count must be whole. Empty, negative, malformed, unknown-unit
// and out-of-range values are errors that say what was wrong and show a valid
// example.
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%w: empty value%s", ErrSize, sizeExample)
	}
	if t[0] == '-' {
		return 0, fmt.Errorf("%w %q: a size cannot be negative%s", ErrSize, s, sizeExample)
	}
	if t[0] == '+' { // "+5GB" is unusual but unambiguous
		t = t[1:]
	}
	end := 0
	for end < len(t) && (t[end] >= '0' && t[end] <= '9' || t[end] == '.') {
		end++
	}
	num, unit := t[:end], strings.TrimSpace(t[end:])
	intPart, frac, _ := strings.Cut(num, ".")
	if num == "" || intPart == "" && frac == "" || strings.Contains(frac, ".") ||
		unit != "" && strings.ContainsAny(unit[:1], ",_0123456789") {
		return 0, fmt.Errorf("%w %q: %s%s", ErrSize, s, describeBadNumber(num, unit), sizeExample)
	}
	mult, ok := unitMultipliers[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit %q (use B, KB, MB, GB, TB, PB, EB or KiB, MiB, GiB, TiB, PiB, EiB)%s",
			ErrSize, s, unit, sizeExample)
	}
	frac = strings.TrimRight(frac, "0")
	if mult == 1 && frac != "" {
		return 0, fmt.Errorf("%w %q: a number of bytes must be whole (did you mean %q?)%s",
			ErrSize, s, strings.TrimSuffix(num, ".")+" KB", sizeExample)
	}
	// Exact arithmetic: value = (int.frac digits) * mult / 10^len(frac),
	// rounded half up. Floats would turn "1.1TB" into 1099999999999.9999.
	digits, _ := new(big.Int).SetString(intPart+frac, 10)
	if digits == nil { // only when both parts are empty, ruled out above
		digits = new(big.Int)
	}
	v := digits.Mul(digits, new(big.Int).SetUint64(mult))
	if frac != "" {
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
		q, r := new(big.Int).QuoRem(v, den, new(big.Int))
		if r.Lsh(r, 1).Cmp(den) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		v = q
	}
	if !v.IsUint64() {
		return 0, fmt.Errorf("%w %q: too large; the largest size is %d bytes (about %s)",
			ErrSize, s, uint64(math.MaxUint64), FormatBytes(math.MaxUint64))
	}
	return v.Uint64(), nil
}

// describeBadNumber explains why the numeric part of a size did not parse.
func describeBadNumber(num, unit string) string {
	switch {
	case num != "" && unit != "" && strings.ContainsAny(unit[:1], ",_0123456789"):
		return "not a number (write the digits without separators or spaces)"
	case num == "" && unit != "":
		return "no number before the unit"
	case num == "" || num == ".":
		return "not a number"
	default:
		return strconv.Quote(num) + " is not a number"
	}
}
