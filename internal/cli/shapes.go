package cli

// The parts of the API's JSON the tables show (the full shapes are in
// internal/api; --json prints them whole).

type jsonHuman struct {
	Sent      string `json:"sent"`
	Received  string `json:"received"`
	Total     string `json:"total"`
	PeakSpeed string `json:"peak_speed"`
}

type jsonUsage struct {
	BytesSent     uint64    `json:"bytes_sent"`
	BytesReceived uint64    `json:"bytes_received"`
	TotalBytes    uint64    `json:"total_bytes"`
	PeakSpeed     uint64    `json:"peak_speed"`
	HumanReadable jsonHuman `json:"human_readable"`
}

type jsonCostLine struct {
	GBUsed        float64 `json:"gb_used"`
	Cost          float64 `json:"cost"`
	CostFormatted string  `json:"cost_formatted"`
}

type jsonCost struct {
	Upload    jsonCostLine `json:"upload"`
	Download  jsonCostLine `json:"download"`
	Total     jsonCostLine `json:"total"`
	CostPerGB float64      `json:"cost_per_gb"`
	Currency  string       `json:"currency"`
	Symbol    string       `json:"currency_symbol"`
}

type jsonDay struct {
	Date          string `json:"date"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
	PeakSpeed     uint64 `json:"peak_speed"`
}

type jsonPeriod struct {
	Month    string    `json:"month"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Timezone string    `json:"timezone"`
	Days     []jsonDay `json:"days"`
	Summary  jsonUsage `json:"summary"`
}
