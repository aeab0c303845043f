# Benchmarks (included by the main Makefile).
#   make bench         run every bench/bench_*.py, then put bench/results/*.md
#                      into README.md between <!-- bench:start --> and <!-- bench:end -->
#   make bench-readme  only the README step
# A failing script does not stop the others; `make bench` fails at the end.

.PHONY: bench bench-readme

bench: setup
	@status=0; \
	for script in bench/bench_*.py; do \
	  echo ">> $$script"; \
	  $(BIN)/python $$script || { echo "!! $$script failed"; status=1; }; \
	done; \
	$(MAKE) --no-print-directory bench-readme || status=1; \
	exit $$status

define BENCH_README_PY
import pathlib, sys
readme = pathlib.Path("README.md")
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
parts = [p.read_text().strip() for p in sorted(pathlib.Path("bench/results").glob("*.md"))]
text = readme.read_text()
if start not in text or end not in text or text.index(start) > text.index(end):
    print("note: README.md has no " + start + " ... " + end + " block; "
          "the results stay in bench/results/")
    sys.exit(0)
head, rest = text.split(start, 1)
tail = rest.split(end, 1)[1]
block = "\n\n".join(parts) if parts else "(no benchmark results yet: run make bench)"
readme.write_text(head + start + "\n" + block + "\n" + end + tail)
print("README.md: benchmark block updated from %d result file(s)" % len(parts))
endef
export BENCH_README_PY

bench-readme:
	@$(BIN)/python -c "$$BENCH_README_PY"
