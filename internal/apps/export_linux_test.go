package apps

// For the end-to-end tests in package apps_test, which use the monitor
// (itself an importer of apps).
var (
	OpenForTest  = openForTest
	BuildSenders = buildSenders

	OpenSockDiagForTest = openSockDiagForTest
)
