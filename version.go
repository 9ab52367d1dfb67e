package main

// versionRequested reports whether the command line asks only for the
// version: -version or --version.
func versionRequested(args []string) bool {
	return len(args) == 1 && (args[0] == "-version" || args[0] == "--version")
}
