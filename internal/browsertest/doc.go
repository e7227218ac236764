// Package browsertest drives the real web interface in headless Chromium: the server from
// internal/web runs in-process on a fresh test database and the tests click through it as a
// user would, in Chinese and in English, at desktop and phone widths. It holds only tests;
// they skip when no Chromium is installed, except under CI=true, where they must run.
package browsertest
