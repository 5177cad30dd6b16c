package redact

import (
	"slices"
	"testing"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"postgres://user:secret@host/db", "postgres://user:****@host/db"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"postgres://host/db", "postgres://host/db"},
		{"postgres://user:p@ss:w/rd@host:5432/db?sslmode=require", "postgres://user:****@host:5432/db?sslmode=require"},
		{"postgres://host/db?sslmode=require&password=secret", "postgres://host/db?sslmode=require&password=****"},
		{"postgres://host/db?user=a@b", "postgres://host/db?user=a@b"},
		{"host=db user=pb password=secret dbname=pb", "host=db user=pb password=**** dbname=pb"},
		{"host=db password = 'se cret' dbname=pb", "host=db password = **** dbname=pb"},
		{"PASSWORD=x", "PASSWORD=****"},
	}
	for _, tc := range tests {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParams(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"dial: host=db password=secret refused", "dial: host=db password=**** refused"},
		{"GET /db?user=a&password=x&sslmode=require", "GET /db?user=a&password=****&sslmode=require"},
		{"no secret here", "no secret here"},
		// Params leaves user information alone; URL masks that.
		{"postgres://u:secret@host/db", "postgres://u:secret@host/db"},
	}
	for _, tc := range tests {
		if got := Params(tc.in); got != tc.want {
			t.Errorf("Params(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParamPasswords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"host=db password='se cret' dbname=pb", []string{"se cret"}},
		{"postgres://h/db?sslmode=require&password=abc", []string{"abc", "abc"}}, // a field and a parameter at once
		{"host=db user=pb", nil},
	}
	for _, tc := range tests {
		if got := ParamPasswords(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ParamPasswords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUserPassword(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://user:secret@host/db", "secret"},
		{"postgres://user:p@ss:w/rd@host:5432/db?x=a@b", "p@ss:w/rd"},
		{"postgres://user@host/db", ""},
		{"postgres://host/db?user=a:b@c", ""},
		{"host=db password=x", ""},
	}
	for _, tc := range tests {
		if got := UserPassword(tc.in); got != tc.want {
			t.Errorf("UserPassword(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
