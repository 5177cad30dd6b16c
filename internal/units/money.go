package units

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Currency is an ISO 4217 currency as PacketBuddy prints it.
type Currency struct {
	// Code is the upper-case ISO 4217 alphabetic code, e.g. "INR".
	Code string
	// Symbol is written before the amount. It is a sign of the currency's own
	// ("₹", "€", "CA$") where one exists that readers recognise without
	// context; otherwise it is the code itself, which FormatMoney separates
	// from the amount with a space ("CHF 12.00").
	Symbol string
	// Digits is the number of minor-unit digits (2 for cents, 0 for yen,
	// 3 for the Kuwaiti fils, 4 for Chile's Unidad de Fomento).
	Digits int
	// Name is the ISO 4217 English name, for menus and messages.
	Name string
}

// currencies is ISO 4217's list of active codes that have a minor unit,
// sorted by code. Left out on purpose: the precious metals (XAU, XAG, XPD,
// XPT), the bond-market units (XBA–XBD), the SDR (XDR), XSU, XUA and the
// test/no-currency codes (XTS, XXX): none has a minor unit to round a price
// to, and nobody pays for traffic in them. Withdrawn codes (HRK, ANG, SLL,
// ZWL, CUC, ...) are gone; BGN is kept while it is still listed, so configs
// written before Bulgaria's switch to the euro keep loading.
var currencies = []Currency{
	{"AED", "AED", 2, "UAE Dirham"},
	{"AFN", "؋", 2, "Afghani"},
	{"ALL", "ALL", 2, "Lek"},
	{"AMD", "֏", 2, "Armenian Dram"},
	{"AOA", "AOA", 2, "Kwanza"},
	{"ARS", "ARS", 2, "Argentine Peso"},
	{"AUD", "A$", 2, "Australian Dollar"},
	{"AWG", "AWG", 2, "Aruban Florin"},
	{"AZN", "₼", 2, "Azerbaijan Manat"},
	{"BAM", "BAM", 2, "Convertible Mark"},
	{"BBD", "BBD", 2, "Barbados Dollar"},
	{"BDT", "৳", 2, "Taka"},
	{"BGN", "BGN", 2, "Bulgarian Lev"},
	{"BHD", "BHD", 3, "Bahraini Dinar"},
	{"BIF", "BIF", 0, "Burundi Franc"},
	{"BMD", "BMD", 2, "Bermudian Dollar"},
	{"BND", "BND", 2, "Brunei Dollar"},
	{"BOB", "BOB", 2, "Boliviano"},
	{"BOV", "BOV", 2, "Mvdol"},
	{"BRL", "R$", 2, "Brazilian Real"},
	{"BSD", "BSD", 2, "Bahamian Dollar"},
	{"BTN", "BTN", 2, "Ngultrum"},
	{"BWP", "BWP", 2, "Pula"},
	{"BYN", "BYN", 2, "Belarusian Ruble"},
	{"BZD", "BZD", 2, "Belize Dollar"},
	{"CAD", "CA$", 2, "Canadian Dollar"},
	{"CDF", "CDF", 2, "Congolese Franc"},
	{"CHE", "CHE", 2, "WIR Euro"},
	{"CHF", "CHF", 2, "Swiss Franc"},
	{"CHW", "CHW", 2, "WIR Franc"},
	{"CLF", "CLF", 4, "Unidad de Fomento"},
	{"CLP", "CLP", 0, "Chilean Peso"},
	{"CNY", "CN¥", 2, "Yuan Renminbi"},
	{"COP", "COP", 2, "Colombian Peso"},
	{"COU", "COU", 2, "Unidad de Valor Real"},
	{"CRC", "₡", 2, "Costa Rican Colon"},
	{"CUP", "CUP", 2, "Cuban Peso"},
	{"CVE", "CVE", 2, "Cabo Verde Escudo"},
	{"CZK", "CZK", 2, "Czech Koruna"},
	{"DJF", "DJF", 0, "Djibouti Franc"},
	{"DKK", "DKK", 2, "Danish Krone"},
	{"DOP", "DOP", 2, "Dominican Peso"},
	{"DZD", "DZD", 2, "Algerian Dinar"},
	{"EGP", "EGP", 2, "Egyptian Pound"},
	{"ERN", "ERN", 2, "Nakfa"},
	{"ETB", "ETB", 2, "Ethiopian Birr"},
	{"EUR", "€", 2, "Euro"},
	{"FJD", "FJD", 2, "Fiji Dollar"},
	{"FKP", "FKP", 2, "Falkland Islands Pound"},
	{"GBP", "£", 2, "Pound Sterling"},
	{"GEL", "₾", 2, "Lari"},
	{"GHS", "GH₵", 2, "Ghana Cedi"},
	{"GIP", "GIP", 2, "Gibraltar Pound"},
	{"GMD", "GMD", 2, "Dalasi"},
	{"GNF", "GNF", 0, "Guinean Franc"},
	{"GTQ", "GTQ", 2, "Quetzal"},
	{"GYD", "GYD", 2, "Guyana Dollar"},
	{"HKD", "HK$", 2, "Hong Kong Dollar"},
	{"HNL", "HNL", 2, "Lempira"},
	{"HTG", "HTG", 2, "Gourde"},
	{"HUF", "HUF", 2, "Forint"},
	{"IDR", "IDR", 2, "Rupiah"},
	{"ILS", "₪", 2, "New Israeli Sheqel"},
	{"INR", "₹", 2, "Indian Rupee"},
	{"IQD", "IQD", 3, "Iraqi Dinar"},
	{"IRR", "IRR", 2, "Iranian Rial"},
	{"ISK", "ISK", 0, "Iceland Krona"},
	{"JMD", "JMD", 2, "Jamaican Dollar"},
	{"JOD", "JOD", 3, "Jordanian Dinar"},
	{"JPY", "¥", 0, "Yen"},
	{"KES", "KES", 2, "Kenyan Shilling"},
	{"KGS", "KGS", 2, "Som"},
	{"KHR", "៛", 2, "Riel"},
	{"KMF", "KMF", 0, "Comorian Franc"},
	{"KPW", "KPW", 2, "North Korean Won"},
	{"KRW", "₩", 0, "Won"},
	{"KWD", "KWD", 3, "Kuwaiti Dinar"},
	{"KYD", "KYD", 2, "Cayman Islands Dollar"},
	{"KZT", "₸", 2, "Tenge"},
	{"LAK", "₭", 2, "Lao Kip"},
	{"LBP", "LBP", 2, "Lebanese Pound"},
	{"LKR", "LKR", 2, "Sri Lanka Rupee"},
	{"LRD", "LRD", 2, "Liberian Dollar"},
	{"LSL", "LSL", 2, "Loti"},
	{"LYD", "LYD", 3, "Libyan Dinar"},
	{"MAD", "MAD", 2, "Moroccan Dirham"},
	{"MDL", "MDL", 2, "Moldovan Leu"},
	{"MGA", "MGA", 2, "Malagasy Ariary"},
	{"MKD", "MKD", 2, "Denar"},
	{"MMK", "MMK", 2, "Kyat"},
	{"MNT", "₮", 2, "Tugrik"},
	{"MOP", "MOP", 2, "Pataca"},
	{"MRU", "MRU", 2, "Ouguiya"},
	{"MUR", "MUR", 2, "Mauritius Rupee"},
	{"MVR", "MVR", 2, "Rufiyaa"},
	{"MWK", "MWK", 2, "Malawi Kwacha"},
	{"MXN", "MX$", 2, "Mexican Peso"},
	{"MXV", "MXV", 2, "Mexican Unidad de Inversion (UDI)"},
	{"MYR", "MYR", 2, "Malaysian Ringgit"},
	{"MZN", "MZN", 2, "Mozambique Metical"},
	{"NAD", "NAD", 2, "Namibia Dollar"},
	{"NGN", "₦", 2, "Naira"},
	{"NIO", "NIO", 2, "Cordoba Oro"},
	{"NOK", "NOK", 2, "Norwegian Krone"},
	{"NPR", "NPR", 2, "Nepalese Rupee"},
	{"NZD", "NZ$", 2, "New Zealand Dollar"},
	{"OMR", "OMR", 3, "Rial Omani"},
	{"PAB", "PAB", 2, "Balboa"},
	{"PEN", "PEN", 2, "Sol"},
	{"PGK", "PGK", 2, "Kina"},
	{"PHP", "₱", 2, "Philippine Peso"},
	{"PKR", "PKR", 2, "Pakistan Rupee"},
	{"PLN", "PLN", 2, "Zloty"},
	{"PYG", "₲", 0, "Guarani"},
	{"QAR", "QAR", 2, "Qatari Rial"},
	{"RON", "RON", 2, "Romanian Leu"},
	{"RSD", "RSD", 2, "Serbian Dinar"},
	{"RUB", "₽", 2, "Russian Ruble"},
	{"RWF", "RWF", 0, "Rwanda Franc"},
	{"SAR", "SAR", 2, "Saudi Riyal"},
	{"SBD", "SBD", 2, "Solomon Islands Dollar"},
	{"SCR", "SCR", 2, "Seychelles Rupee"},
	{"SDG", "SDG", 2, "Sudanese Pound"},
	{"SEK", "SEK", 2, "Swedish Krona"},
	{"SGD", "SGD", 2, "Singapore Dollar"},
	{"SHP", "SHP", 2, "Saint Helena Pound"},
	{"SLE", "SLE", 2, "Leone"},
	{"SOS", "SOS", 2, "Somali Shilling"},
	{"SRD", "SRD", 2, "Surinam Dollar"},
	{"SSP", "SSP", 2, "South Sudanese Pound"},
	{"STN", "STN", 2, "Dobra"},
	{"SVC", "SVC", 2, "El Salvador Colon"},
	{"SYP", "SYP", 2, "Syrian Pound"},
	{"SZL", "SZL", 2, "Lilangeni"},
	{"THB", "฿", 2, "Baht"},
	{"TJS", "TJS", 2, "Somoni"},
	{"TMT", "TMT", 2, "Turkmenistan New Manat"},
	{"TND", "TND", 3, "Tunisian Dinar"},
	{"TOP", "TOP", 2, "Pa'anga"},
	{"TRY", "₺", 2, "Turkish Lira"},
	{"TTD", "TTD", 2, "Trinidad and Tobago Dollar"},
	{"TWD", "NT$", 2, "New Taiwan Dollar"},
	{"TZS", "TZS", 2, "Tanzanian Shilling"},
	{"UAH", "₴", 2, "Hryvnia"},
	{"UGX", "UGX", 0, "Uganda Shilling"},
	{"USD", "$", 2, "US Dollar"},
	{"USN", "USN", 2, "US Dollar (Next day)"},
	{"UYI", "UYI", 0, "Uruguay Peso en Unidades Indexadas (UI)"},
	{"UYU", "UYU", 2, "Peso Uruguayo"},
	{"UYW", "UYW", 4, "Unidad Previsional"},
	{"UZS", "UZS", 2, "Uzbekistan Sum"},
	{"VED", "VED", 2, "Bolívar Soberano (digital)"},
	{"VES", "VES", 2, "Bolívar Soberano"},
	{"VND", "₫", 0, "Dong"},
	{"VUV", "VUV", 0, "Vatu"},
	{"WST", "WST", 2, "Tala"},
	{"XAF", "XAF", 0, "CFA Franc BEAC"},
	{"XCD", "EC$", 2, "East Caribbean Dollar"},
	{"XCG", "XCG", 2, "Caribbean Guilder"},
	{"XOF", "XOF", 0, "CFA Franc BCEAO"},
	{"XPF", "XPF", 0, "CFP Franc"},
	{"YER", "YER", 2, "Yemeni Rial"},
	{"ZAR", "ZAR", 2, "Rand"},
	{"ZMW", "ZMW", 2, "Zambian Kwacha"},
	{"ZWG", "ZWG", 2, "Zimbabwe Gold"},
}

// LookupCurrency finds a currency by its ISO 4217 code, ignoring case and
// surrounding spaces. The returned Currency carries the canonical upper-case
// code.
func LookupCurrency(code string) (Currency, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	i, ok := slices.BinarySearchFunc(currencies, code, func(c Currency, code string) int {
		return strings.Compare(c.Code, code)
	})
	if !ok {
		return Currency{}, false
	}
	return currencies[i], true
}

// Currencies returns every known currency, sorted by code. The slice is a
// copy; callers may change it.
func Currencies() []Currency { return slices.Clone(currencies) }

// FormatMoney formats an amount in the currency with this ISO 4217 code:
// "₹1,234.56", "$0.90", "-$1.00", "¥1,235", "KWD 1.235", "CHF 12.00". The
// amount is rounded half away from zero to the currency's minor digits. An
// unknown code is printed as given, upper-cased, with two digits, so a bad
// value is visible rather than hidden.
func FormatMoney(amount float64, code string) string {
	c, ok := LookupCurrency(code)
	if !ok {
		up := strings.ToUpper(strings.TrimSpace(code))
		c = Currency{Code: up, Symbol: up, Digits: 2}
	}
	return c.Format(amount)
}

// Format formats an amount in this currency; see FormatMoney.
func (c Currency) Format(amount float64) string {
	var num string
	neg := math.Signbit(amount)
	switch {
	case math.IsNaN(amount):
		num, neg = "NaN", false
	case math.IsInf(amount, 0):
		num = "∞"
	default:
		intPart, frac := roundDecimal(math.Abs(amount), c.Digits)
		if strings.Trim(intPart+frac, "0") == "" {
			neg = false // never "-$0.00"
		}
		num = group(intPart)
		if frac != "" {
			num += "." + frac
		}
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(c.Symbol)
	// A symbol made of letters ("CHF", "XOF") would run into the digits.
	if r, _ := utf8.DecodeLastRuneInString(c.Symbol); unicode.IsLetter(r) {
		b.WriteByte(' ')
	}
	b.WriteString(num)
	return b.String()
}

// Round rounds an amount half away from zero to the currency's minor digits,
// for JSON fields that carry the number rather than the formatted string.
func (c Currency) Round(amount float64) float64 {
	if math.IsNaN(amount) || math.IsInf(amount, 0) {
		return amount
	}
	intPart, frac := roundDecimal(math.Abs(amount), c.Digits)
	v, _ := strconv.ParseFloat(intPart+"."+frac+"0", 64)
	if amount < 0 {
		v = -v
	}
	return v
}

// roundDecimal rounds a non-negative finite v to digits decimals, half away
// from zero, and returns the integer and fraction digits. It rounds the
// shortest decimal that reads back as v rather than v's exact binary value:
// the binary value of 1.005 is 1.00499999..., but a person who sees 1.005
// expects 1.01.
func roundDecimal(v float64, digits int) (intPart, frac string) {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	intPart, frac, _ = strings.Cut(s, ".")
	if len(frac) <= digits {
		return intPart, frac + strings.Repeat("0", digits-len(frac))
	}
	up := frac[digits] >= '5'
	all := []byte(intPart + frac[:digits])
	if up {
		i := len(all) - 1
		for ; i >= 0 && all[i] == '9'; i-- {
			all[i] = '0'
		}
		if i < 0 {
			all = append([]byte{'1'}, all...)
		} else {
			all[i]++
		}
	}
	n := len(all) - digits
	return string(all[:n]), string(all[n:])
}

// group inserts a comma every three digits from the right: "1234567" →
// "1,234,567".
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
