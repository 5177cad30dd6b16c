package apps

// For the end-to-end tests in package apps_test, which use the monitor
// (itself an importer of apps).
var (
	OpenForTest  = openForTest
	BuildSenders = buildSenders

	OpenSockDiagForTest = openSockDiagForTest
	// WalkAlways lets a fallback source walk /proc at every poll that
	// has a socket of an unknown process.
	WalkAlways = func(s Source) { s.(*diagSource).walkBudget = 1 }
)
