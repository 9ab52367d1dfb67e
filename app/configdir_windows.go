//go:build windows

package app

// configDirName is the kiosk's folder in %APPDATA%, spelt the way Windows
// users expect to see it in Explorer.
const configDirName = "Saoma"
