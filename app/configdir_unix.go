//go:build !windows

package app

// configDirName is the kiosk's folder in the user config directory.
const configDirName = "saoma"
