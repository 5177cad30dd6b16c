//go:build windows

package counter

import (
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// winReader reads the interface table with one GetIfTable2Ex call per poll
// (gopsutil makes one GetIfEntry2 call per interface after listing them with
// GetAdaptersAddresses).
//
// MibIfTableNormal returns every interface the stack knows, and that
// includes one row per NDIS filter module bound to an adapter ("Ethernet-WFP
// Native MAC Layer LightWeight Filter-0000", "...-QoS Packet
// Scheduler-0000"), each repeating the adapter's counters. Summing them would
// count the same bytes three or four times, so winSelector drops them.
type winReader struct {
	mu      sync.Mutex
	sel     *winSelector
	strings map[uint64]*winStrings // by LUID
}

// winStrings caches a row's alias and description as Go strings, with the
// UTF-16 they came from, so a poll converts (and allocates) only when an
// interface is new or renamed.
type winStrings struct {
	alias, desc       []uint16
	aliasStr, descStr string
}

// NewReader returns the Windows reader.
func NewReader() (Reader, error) {
	return &winReader{sel: newWinSelector(), strings: make(map[uint64]*winStrings)}, nil
}

// walk calls fn for every row of the interface table that winSelector keeps,
// with the name it is reported under. The winRow is valid only during fn:
// PhysAddr points into the table, which is freed when walk returns.
func (r *winReader) walk(fn func(name string, row *winRow) (stop bool)) error {
	var t *windows.MibIfTable2
	if err := windows.GetIfTable2Ex(windows.MibIfTableNormal, &t); err != nil {
		return fmt.Errorf("GetIfTable2Ex: %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(t))
	if t.NumEntries == 0 {
		return nil
	}
	// The rows follow NumEntries in memory; MibIfRow2 is ~1.3 KB, so index
	// them in place and never copy one.
	rows := unsafe.Slice(&t.Table[0], t.NumEntries)
	if len(r.strings) > 4*len(rows)+64 {
		clear(r.strings) // interfaces come and go (VPNs): stay bounded
	}
	r.sel.reset()
	var wr winRow
	for i := range rows {
		row := &rows[i]
		s := r.names(row)
		wr = winRow{
			LUID:               row.InterfaceLuid,
			Index:              row.InterfaceIndex,
			Alias:              s.aliasStr,
			Description:        s.descStr,
			Type:               row.Type,
			Flags:              row.InterfaceAndOperStatusFlags,
			OperStatus:         row.OperStatus,
			PhysicalMediumType: row.PhysicalMediumType,
			PhysAddr:           row.PhysicalAddress[:min(int(row.PhysicalAddressLength), len(row.PhysicalAddress))],
			TransmitLinkSpeed:  row.TransmitLinkSpeed,
			InOctets:           row.InOctets,
			OutOctets:          row.OutOctets,
		}
		name, ok := r.sel.pick(&wr)
		if !ok {
			continue
		}
		if fn(name, &wr) {
			break
		}
	}
	return nil
}

// names returns the cached strings for a row, refreshing them if the alias
// or description changed.
func (r *winReader) names(row *windows.MibIfRow2) *winStrings {
	alias := utf16Until0(row.Alias[:])
	desc := utf16Until0(row.Description[:])
	s := r.strings[row.InterfaceLuid]
	if s == nil {
		s = &winStrings{}
		r.strings[row.InterfaceLuid] = s
	}
	if !slices.Equal(s.alias, alias) {
		s.alias = append(s.alias[:0], alias...)
		s.aliasStr = windows.UTF16ToString(alias)
	}
	if !slices.Equal(s.desc, desc) {
		s.desc = append(s.desc[:0], desc...)
		s.descStr = windows.UTF16ToString(desc)
	}
	return s
}

func utf16Until0(a []uint16) []uint16 {
	for i, c := range a {
		if c == 0 {
			return a[:i]
		}
	}
	return a
}

// Read reads the whole table once and appends the kept rows' 64-bit
// InOctets/OutOctets.
func (r *winReader) Read(dst []Counter) ([]Counter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.walk(func(name string, row *winRow) bool {
		dst = append(dst, Counter{Name: name, Index: row.Index, RxBytes: row.InOctets, TxBytes: row.OutOctets})
		return false
	})
	return dst, err
}

// Info describes the interface reported under name.
func (r *winReader) Info(name string) (Info, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var info Info
	found := false
	err := r.walk(func(n string, row *winRow) bool {
		if n == name {
			info, found = winInfo(row, n), true // formats PhysAddr before the table is freed
		}
		return found
	})
	if err != nil {
		return Info{}, err
	}
	if !found {
		return Info{}, fmt.Errorf("interface %q: %w", name, ErrNoInterface)
	}
	return info, nil
}
