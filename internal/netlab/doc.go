// Package netlab builds a private network for end-to-end tests: a network
// namespace joined to this one by a veth pair, with addresses only on that
// pair (a /30 in 10.200.0.0/24), and a TCP sink inside the namespace. Tests push a
// known amount of traffic across and compare what PacketBuddy recorded with
// the kernel's own counters. Everything it creates is removed at cleanup, and
// no packet is ever addressed anywhere but the pair.
//
// It needs root and iproute2's ip. Under CI=true a missing prerequisite is a
// test failure; elsewhere the test is skipped with the reason.
package netlab
