# Saoma — WeChat Pay QR kiosk. `make run` starts the kiosk (demo mode without
# a merchant config); `make test` installs what a fresh Debian 12 machine
# lacks and runs vet + the race-enabled test suite, then cross-builds and
# vets the Windows kiosk; `make dist` builds the release into dist/.

GO      ?= go
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN     := bin

# Debian packages: cgo toolchain and the X11/GL/Wayland headers Fyne 2.8
# (GLFW 3.4) compiles against; ALSA for the spoken announcement; Xvfb, xwd and ImageMagick for screenshots;
# ca-certificates for the module proxy.
APT_BUILD := ca-certificates gcc libc6-dev pkg-config libgl-dev libx11-dev \
             libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev \
             libwayland-dev libxkbcommon-dev libegl-dev libasound2-dev
APT_RUN   := xvfb x11-apps x11-utils imagemagick xdotool
# The Windows kiosk is cross-compiled with mingw-w64 (cgo for GLFW).
APT_WIN   := gcc-mingw-w64-x86-64
APT_PKGS  := $(APT_BUILD) $(APT_RUN) $(APT_WIN)
# Only `make dist` needs these: the NSIS installer, zip and xz archives.
APT_DIST  := nsis zip xz-utils

# The release version: the git tag, or the commit, "-dirty" with local
# changes. It reaches every binary's --version through -X main.version.
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The numeric part of a tag (v1.2.3 → 1.2.3) for Windows version info and
# the Linux package; FyneApp.toml's Version when there is no such tag.
APP_VER   := $(shell echo '$(VERSION)' | sed -nE 's/^v([0-9]+(\.[0-9]+){1,2})([^0-9.].*)?$$/\1/p')
FYNE_VER  := $(if $(APP_VER),--app-version $(APP_VER))
LDVERSION := -X main.version=$(VERSION)
# Build tags of the kiosk: no_emoji leaves out Fyne's 4 MB colour emoji
# font, which Fyne parses once per text style (about 14 MB of the kiosk's
# peak memory; scripts/memory.sh). Emoji then show as boxes; the kiosk's
# own texts use none.
KTAGS     := no_emoji

# Cross-compiling the Windows kiosk (windows/amd64, Windows 10 and later).
WIN_ENV   := CC=x86_64-w64-mingw32-gcc CGO_ENABLED=1 GOOS=windows GOARCH=amd64
DIST      := dist

.PHONY: deps dist-deps run test test-windows test-headless bench lint screenshots relay sim build clean tools package windows dist

# apt-install: install the Debian packages in $(1) that are missing.
define apt-install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

## deps: install missing Debian packages (only when missing) and Go modules.
deps:
	$(call apt-install,$(APT_PKGS))
	$(GO) mod download

dist-deps: deps
	$(call apt-install,$(APT_DIST))

## build: the kiosk binary and the cgo-free servers.
build: deps
	$(GO) build -tags $(KTAGS) -ldflags "$(LDVERSION)" -o $(BIN)/saoma .
	CGO_ENABLED=0 $(GO) build -o $(BIN)/saoma-relay ./cmd/saoma-relay
	CGO_ENABLED=0 $(GO) build -o $(BIN)/wxpay-sim ./cmd/wxpay-sim

## run: the kiosk; demo mode (in-process simulator + relay) without a config.
run: deps
	@echo "Building the kiosk. The first build on a machine compiles the GUI toolkit's C code"
	@echo "(GLFW/OpenGL): 3-8 minutes on 2 cores with no output; later runs start in seconds."
	$(GO) build -tags $(KTAGS) -ldflags "$(LDVERSION)" -o $(BIN)/saoma .
	$(BIN)/saoma $(ARGS)

## test: vet and the whole suite with the race detector, then the Windows
## cross-build (test-windows).
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory test-windows

## test-windows: cross-compile the Windows kiosk, vet every package for
## GOOS=windows and compile (not run: nothing Windows runs here) the
## Windows test binaries of every package but the GUI's.
## cmd/relay-load, a load generator for the Linux relay, is left out.
test-windows: deps
	$(WIN_ENV) $(GO) build -tags $(KTAGS) -ldflags "-H windowsgui $(LDVERSION)" -o $(BIN)/windows/saoma.exe .
	$(WIN_ENV) $(GO) vet $$($(GO) list ./... | grep -v -x -e saoma/cmd/relay-load)
	$(WIN_ENV) $(GO) test -c -o $(BIN)/windows/tests/ $$($(GO) list ./... | grep -v -x -e saoma -e saoma/ui -e saoma/cmd/relay-load)

## test-headless: every test without cgo, X or GL headers.
test-headless:
	CGO_ENABLED=0 $(GO) test -tags ci ./...

## bench: the performance targets, with allocations; the cashier's
## latencies and the kiosk's peak memory on the real binary under Xvfb.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bash scripts/latency.sh
	bash scripts/memory.sh

## lint: gofmt, vet and staticcheck (pinned in tools/go.mod).
lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd tools && $(GO) build -o ../$(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	$(BIN)/staticcheck ./...

## tools: the pinned fyne packaging tool and winres (Windows resources).
tools:
	cd tools && $(GO) build -o ../$(BIN)/fyne fyne.io/tools/cmd/fyne
	cd tools && $(GO) build -o ../$(BIN)/winres ./winres

## screenshots: every screen of the real binary under Xvfb, both sizes and languages.
screenshots: deps
	bash scripts/screenshots.sh

## package: a Linux desktop package (Saoma.tar.xz) with the pinned fyne tool.
package: deps tools
	cp FyneApp.toml $(BIN)/FyneApp.toml.keep
	GOFLAGS="-tags=$(KTAGS) -ldflags=$(subst $() $(),=,$(LDVERSION))" $(BIN)/fyne package -os linux $(FYNE_VER); \
	  st=$$?; cp $(BIN)/FyneApp.toml.keep FyneApp.toml; exit $$st

## windows: the Windows kiosk, $(BIN)/Saoma.exe, with its icon, version info
## and manifest (a .syso from tools/winres) and no console window. Not
## `fyne package -os windows`: it drops -X main.version when it relinks.
windows: deps tools
	$(BIN)/winres -icon Icon.png -manifest packaging/saoma.exe.manifest -version $(VERSION) -o rsrc_windows_amd64.syso
	$(WIN_ENV) $(GO) build -tags $(KTAGS) -ldflags "-H windowsgui -s -w $(LDVERSION)" -o $(BIN)/Saoma.exe . ; \
	  st=$$?; rm -f rsrc_windows_amd64.syso; exit $$st

## dist: the release in dist/: the Linux kiosk package, the Windows kiosk
## (zip and installer), saoma-relay and wxpay-sim for linux/amd64 and
## linux/arm64 (static), the relay's systemd unit and SHA256SUMS.
dist: dist-deps tools
	rm -rf $(DIST) && mkdir -p $(DIST)
	cp FyneApp.toml $(BIN)/FyneApp.toml.keep
	GOFLAGS="-tags=$(KTAGS) -ldflags=$(subst $() $(),=,$(LDVERSION))" $(BIN)/fyne package -os linux $(FYNE_VER); \
	  st=$$?; cp $(BIN)/FyneApp.toml.keep FyneApp.toml; exit $$st
	mv Saoma.tar.xz $(DIST)/saoma-$(VERSION)-linux-amd64.tar.xz
	$(MAKE) --no-print-directory windows
	mkdir -p $(BIN)/saoma-$(VERSION)-windows-amd64 && cp $(BIN)/Saoma.exe $(BIN)/saoma-$(VERSION)-windows-amd64/
	cd $(BIN) && rm -f ../$(DIST)/saoma-$(VERSION)-windows-amd64.zip && \
	  zip -q -r ../$(DIST)/saoma-$(VERSION)-windows-amd64.zip saoma-$(VERSION)-windows-amd64
	makensis -V2 -DVERSION=$(VERSION) -DEXE=$(CURDIR)/$(BIN)/saoma-$(VERSION)-windows-amd64/Saoma.exe \
	  -DOUTFILE=$(CURDIR)/$(DIST)/saoma-$(VERSION)-windows-amd64-setup.exe packaging/saoma.nsi
	for arch in amd64 arm64; do \
	  for cmd in saoma-relay wxpay-sim; do \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDVERSION)" \
	      -o $(DIST)/$$cmd-$(VERSION)-linux-$$arch ./cmd/$$cmd || exit 1; \
	  done; \
	done
	cp packaging/saoma-relay.service $(DIST)/
	cd $(DIST) && sha256sum $$(ls | grep -v -x SHA256SUMS) > SHA256SUMS

relay:
	CGO_ENABLED=0 $(GO) run ./cmd/saoma-relay -listen 127.0.0.1:8443 -data $(BIN)/relay-data -kiosks docs/kiosks.example.toml

sim:
	CGO_ENABLED=0 $(GO) run ./cmd/wxpay-sim -listen 127.0.0.1:8090

clean:
	rm -rf $(BIN) $(DIST)
