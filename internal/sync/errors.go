package sync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Errors a caller may test with errors.Is, besides ErrBadURL and
// ErrRemoteNewer.
var (
	ErrAuth        = errors.New("the sync database refused the login")
	ErrPermission  = errors.New("the sync database user lacks a permission")
	ErrUnreachable = errors.New("the sync database is unreachable")
	// ErrStatementPooler means the URL reaches a connection pooler in
	// statement mode, which runs no transaction of more than one statement:
	// a setting to change, not an outage to wait out.
	ErrStatementPooler = errors.New("the sync database URL reaches a connection pooler in statement mode, which cannot run pb's transactions")
	// ErrStartupParameter means a pooler refused a parameter the URL
	// passes to the server (search_path, options...).
	ErrStartupParameter = errors.New("the connection pooler refuses a parameter of the sync database URL")
	// ErrPoolerProtocol means a pooler refused what pb sent for another
	// reason than the two above, in words pb does not know.
	ErrPoolerProtocol = errors.New("the connection pooler in front of the sync database refused pb's protocol")
)

// describedError keeps the cause for errors.Is while printing one clear,
// redacted sentence.
type describedError struct {
	kind error
	msg  string
	err  error
}

func (e *describedError) Error() string { return e.msg }
func (e *describedError) Unwrap() []error {
	return []error{e.kind, e.err}
}

// describe turns err into a clear message without the URL's password.
func describe(err error, raw string) error {
	var de *describedError
	if err == nil || errors.As(err, &de) || errors.Is(err, ErrBadURL) || errors.Is(err, ErrRemoteNewer) {
		if err != nil && !errors.As(err, &de) {
			return &describedError{msg: redactErr(err, raw), err: err}
		}
		return err
	}
	text := oneLine(redactErr(err, raw))
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "28P01" || pe.Code == "28000":
			return &describedError{ErrAuth, fmt.Sprintf("%s: %s (SQLSTATE %s): check the user and password in sync.database_url / PB_DATABASE_URL",
				ErrAuth, pe.Message, pe.Code), err}
		case pe.Code == "42501":
			return &describedError{ErrPermission, fmt.Sprintf("%s: %s (SQLSTATE 42501): the user must be allowed to create tables in its schema the first time (GRANT CREATE ON SCHEMA ... TO ...), or let the owner run pb once",
				ErrPermission, pe.Message), err}
		case pe.Code == "08P01" && strings.Contains(pe.Message, "statement pooling mode"):
			// PgBouncer: "transaction blocks not allowed in statement pooling mode".
			return &describedError{ErrStatementPooler, fmt.Sprintf("%s (%s): use its transaction-mode URL (PgBouncer: pool_mode = transaction or session) or the database's direct URL in sync.database_url / PB_DATABASE_URL",
				ErrStatementPooler, pe.Message), err}
		case pe.Code == "08P01" && strings.HasPrefix(pe.Message, "unsupported startup parameter"):
			return &describedError{ErrStartupParameter, fmt.Sprintf("%s (%s): remove it from sync.database_url / PB_DATABASE_URL; pb needs none (for tables outside public, ALTER ROLE <user> SET search_path = <schema>)",
				ErrStartupParameter, pe.Message), err}
		case pe.Code == "08P01" && pe.File == "":
			// Another protocol violation, from a pooler: PostgreSQL names
			// the source file of every error it raises, PgBouncer and
			// Supavisor none, and their wording is their own.
			return &describedError{ErrPoolerProtocol, fmt.Sprintf("%s (%s): use its transaction-mode URL or the database's direct URL in sync.database_url / PB_DATABASE_URL",
				ErrPoolerProtocol, pe.Message), err}
		case pe.Code == "3D000":
			return &describedError{ErrAuth, fmt.Sprintf("the sync database does not exist: %s", pe.Message), err}
		}
		return &describedError{msg: "sync database error: " + pgSentence(pe, raw), err: err}
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(text, "connection refused") {
		return &describedError{ErrUnreachable, fmt.Sprintf("%s (will retry): %s", ErrUnreachable, text), err}
	}
	return &describedError{msg: "sync: " + text, err: err}
}

// oneLine folds a multi-line driver message (pgx joins the failures of
// each host with newlines) into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// pgSentence is a server error in one line: its message, detail and hint,
// and the SQLSTATE, without the URL's password.
func pgSentence(pe *pgconn.PgError, raw string) string {
	s := pe.Message
	if pe.Severity != "" {
		s = pe.Severity + ": " + s
	}
	if pe.Detail != "" {
		s += "; " + pe.Detail
	}
	if pe.Hint != "" {
		s += "; hint: " + pe.Hint
	}
	return oneLine(redactErr(fmt.Errorf("%s (SQLSTATE %s)", s, pe.Code), raw))
}
