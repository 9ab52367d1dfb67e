# Saoma — WeChat Pay QR kiosk. `make run` starts the kiosk (demo mode without
# a merchant config); `make test` installs what a fresh Debian 12 machine
# lacks and runs vet + the race-enabled test suite.

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
APT_PKGS  := $(APT_BUILD) $(APT_RUN)

.PHONY: deps run test test-headless bench lint screenshots relay sim build clean tools package

## deps: install missing Debian packages (only when missing) and Go modules.
deps:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(GO) mod download

## build: the kiosk binary and the cgo-free servers.
build: deps
	$(GO) build -o $(BIN)/saoma .
	CGO_ENABLED=0 $(GO) build -o $(BIN)/saoma-relay ./cmd/saoma-relay
	CGO_ENABLED=0 $(GO) build -o $(BIN)/wxpay-sim ./cmd/wxpay-sim

## run: the kiosk; demo mode (in-process simulator + relay) without a config.
run: deps
	$(GO) run . $(ARGS)

## test: vet and the whole suite with the race detector.
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## test-headless: every test without cgo, X or GL headers.
test-headless:
	CGO_ENABLED=0 $(GO) test -tags ci ./...

## bench: the performance targets, with allocations.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

## lint: gofmt, vet and staticcheck (pinned in tools/go.mod).
lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd tools && $(GO) build -o ../$(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	$(BIN)/staticcheck ./...

## tools: the pinned fyne packaging tool.
tools:
	cd tools && $(GO) build -o ../$(BIN)/fyne fyne.io/tools/cmd/fyne

## screenshots: every screen of the real binary under Xvfb, both sizes and languages.
screenshots: deps
	bash scripts/screenshots.sh

## package: a Linux desktop package (Saoma.tar.xz) with the pinned fyne tool.
package: deps tools
	$(BIN)/fyne package -os linux

relay:
	CGO_ENABLED=0 $(GO) run ./cmd/saoma-relay -listen 127.0.0.1:8443 -data $(BIN)/relay-data -kiosks docs/kiosks.example.toml

sim:
	CGO_ENABLED=0 $(GO) run ./cmd/wxpay-sim -listen 127.0.0.1:8090

clean:
	rm -rf $(BIN)
