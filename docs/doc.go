// Package docs holds the project's design notes and the tests that enforce
// its documentation rules across the whole repository: every Go package has a
// package doc comment, and every subsystem directory has a README.md that
// says how data flows through it.
package docs
