package units

import (
	"math"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestCurrencyTable(t *testing.T) {
	t.Parallel()
	if len(currencies) < 150 {
		t.Errorf("only %d currencies; ISO 4217 has more than 150 active codes", len(currencies))
	}
	if !slices.IsSortedFunc(currencies, func(a, b Currency) int { return strings.Compare(a.Code, b.Code) }) {
		t.Fatal("currencies must be sorted by code: LookupCurrency binary-searches them")
	}
	for i, c := range currencies {
		if i > 0 && currencies[i-1].Code == c.Code {
			t.Errorf("duplicate code %s", c.Code)
		}
		if len(c.Code) != 3 || strings.ToUpper(c.Code) != c.Code || strings.IndexFunc(c.Code, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			t.Errorf("bad code %q", c.Code)
		}
		if c.Symbol == "" || c.Name == "" {
			t.Errorf("%s: empty symbol or name", c.Code)
		}
		if c.Digits < 0 || c.Digits > 4 {
			t.Errorf("%s: %d digits", c.Code, c.Digits)
		}
		// A symbol is either the code or contains a non-letter sign; letter
		// abbreviations like "kr" would be ambiguous and run into digits.
		if c.Symbol != c.Code && strings.IndexFunc(c.Symbol, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
			t.Errorf("%s: symbol %q is letters only; use the code", c.Code, c.Symbol)
		}
	}
}

func TestLookupCurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		code   string
		symbol string
		digits int
	}{
		{"INR", "INR", "₹", 2},
		{"inr", "INR", "₹", 2},
		{" usd ", "USD", "$", 2},
		{"Eur", "EUR", "€", 2},
		{"GBP", "GBP", "£", 2},
		{"JPY", "JPY", "¥", 0},
		{"KWD", "KWD", "KWD", 3},
		{"CHF", "CHF", "CHF", 2},
		{"CLF", "CLF", "CLF", 4},
		{"AED", "AED", "AED", 2},
		{"ZWG", "ZWG", "ZWG", 2},
	}
	for _, tc := range tests {
		c, ok := LookupCurrency(tc.in)
		if !ok || c.Code != tc.code || c.Symbol != tc.symbol || c.Digits != tc.digits {
			t.Errorf("LookupCurrency(%q) = %+v, %v; want %s %s %d", tc.in, c, ok, tc.code, tc.symbol, tc.digits)
		}
	}
	for _, bad := range []string{"", "XYZ", "US", "USDD", "HRK", "XAU", "XXX"} {
		if c, ok := LookupCurrency(bad); ok {
			t.Errorf("LookupCurrency(%q) = %+v, want not found", bad, c)
		}
	}
	all := Currencies()
	all[0].Code = "changed"
	if currencies[0].Code == "changed" {
		t.Error("Currencies must return a copy")
	}
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		amount float64
		code   string
		want   string
	}{
		{1234.56, "INR", "₹1,234.56"},
		{0.9, "USD", "$0.90"},
		{0.12 * 7.5, "USD", "$0.90"}, // 0.8999999999999999
		{1234.56, "EUR", "€1,234.56"},
		{1234.56, "eur", "€1,234.56"},
		{-1, "USD", "-$1.00"},
		{-0.001, "USD", "$0.00"}, // no "-$0.00"
		{math.Copysign(0, -1), "USD", "$0.00"},
		{0, "INR", "₹0.00"},
		{12, "CHF", "CHF 12.00"},
		{-12, "CHF", "-CHF 12.00"},
		{1234.5, "JPY", "¥1,235"}, // 0 digits, half away from zero
		{-1234.5, "JPY", "-¥1,235"},
		{1.2345, "KWD", "KWD 1.235"},
		{1.005, "USD", "$1.01"}, // as written, not the binary 1.00499...
		{2.675, "GBP", "£2.68"}, // ditto
		{0.125, "USD", "$0.13"},
		{-0.125, "USD", "-$0.13"},
		{999.995, "USD", "$1,000.00"}, // carry into a new group
		{9.995, "USD", "$10.00"},
		{1234567.891, "CAD", "CA$1,234,567.89"},
		{100, "XOF", "XOF 100"},
		{1e21, "USD", "$1,000,000,000,000,000,000,000.00"},
		{5e-324, "USD", "$0.00"},
		{12.5, "xyz", "XYZ 12.50"},
		{12.5, "", "12.50"},
		{math.NaN(), "USD", "$NaN"},
		{math.Inf(1), "EUR", "€∞"},
		{math.Inf(-1), "EUR", "-€∞"},
		{1.23456, "CLF", "CLF 1.2346"},
		{100, "BRL", "R$100.00"},
	}
	for _, tc := range tests {
		if got := FormatMoney(tc.amount, tc.code); got != tc.want {
			t.Errorf("FormatMoney(%v, %q) = %q, want %q", tc.amount, tc.code, got, tc.want)
		}
	}
}

func TestCurrencyRound(t *testing.T) {
	t.Parallel()
	usd, _ := LookupCurrency("USD")
	jpy, _ := LookupCurrency("JPY")
	kwd, _ := LookupCurrency("KWD")
	tests := []struct {
		c    Currency
		in   float64
		want float64
	}{
		{usd, 1.005, 1.01},
		{usd, -1.005, -1.01},
		{usd, 0.8999999999999999, 0.9},
		{jpy, 2.5, 3},
		{kwd, 1.2345, 1.235},
		{usd, 0, 0},
	}
	for _, tc := range tests {
		if got := tc.c.Round(tc.in); got != tc.want {
			t.Errorf("%s.Round(%v) = %v, want %v", tc.c.Code, tc.in, got, tc.want)
		}
	}
	if got := usd.Round(math.Inf(1)); !math.IsInf(got, 1) {
		t.Errorf("Round(+Inf) = %v", got)
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0": "0", "999": "999", "1000": "1,000", "123456": "123,456", "1234567": "1,234,567"} {
		if got := group(in); got != want {
			t.Errorf("group(%q) = %q, want %q", in, got, want)
		}
	}
}
