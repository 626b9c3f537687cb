# Paperboy — the two commands are `make run` and `make test`.
SWIFT ?= swift
DATABASE ?= var/paperboy.sqlite
PORT ?= 8080

.PHONY: run test lint build release setup-test import-demo bench clean readme-config

## Build in release, import the bundled demo data and serve on http://localhost:$(PORT)
run: release
	scripts/fetch-model.sh
	@mkdir -p var
	.build/release/paperboy import hf-daily data/demo --database $(DATABASE)
	.build/release/paperboy serve --port $(PORT) --database $(DATABASE)

## Run the whole test suite (installs what it needs first)
test: setup-test lint
	$(SWIFT) build --build-tests
	$(SWIFT) test
	PAPERBOY_BIN=.build/debug/paperboy .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider

## swift-format (swift-server style, .swift-format) must find nothing: `swift format --in-place
## --recursive Sources Tests Package.swift` fixes what it reports
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift

## Rewrite the README's table of settings from the catalog (`paperboy config --markdown`)
readme-config: build
	.build/debug/paperboy config --markdown > .build/config-table.md
	awk '/<!-- config-table:end -->/ { skip = 0 } !skip { print } /<!-- config-table:begin -->/ { while ((getline line < ".build/config-table.md") > 0) print line; skip = 1 }' \
		README.md > .build/README.md && mv .build/README.md README.md

release:
	$(SWIFT) build -c release --product paperboy

build:
	$(SWIFT) build

setup-test:
	scripts/fetch-model.sh
	scripts/setup-test.sh

clean:
	rm -rf .build var
