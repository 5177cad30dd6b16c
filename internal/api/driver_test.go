package api

// These tests open databases; the program's wiring registers the driver
// store opens by name, and so does this import for the tests.
import _ "github.com/packetbuddy/pb/internal/sqlite"
