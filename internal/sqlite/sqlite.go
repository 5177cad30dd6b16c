// Package sqlite registers the SQLite driver (modernc.org/sqlite, a pure-Go
// translation of SQLite's C library) under the name "sqlite", which store
// opens by name. It holds no code: the packages that wire stores in
// production (internal/cli, and internal/importer for the files it reads)
// import it for effect, and so does every test that opens a database.
//
// store itself never imports a driver. The driver's C library translation
// (modernc.org/libc) implements system() and popen() with os/exec, and the
// SQL adapters (store, sync) are to depend on nothing that runs programs;
// keeping the choice of driver here also makes it one import to change.
// The data source names store builds use this driver's URI parameters
// (_pragma, _txlock, _journal_mode), so another driver would need those
// translated too.
package sqlite

import _ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
