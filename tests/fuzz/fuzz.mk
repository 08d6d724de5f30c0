# libFuzzer target for the yamlpatch library.  Built with clang from the
# library's SOURCES (the gcc objects carry no coverage instrumentation), with
# ASan, UBSan and LeakSanitizer.  Not part of `all`: the fuzz suite
# (tests/suites/fuzz.sh) runs `make build/fuzz_yamlpatch` itself.
CC_FUZZ     ?= clang
FUZZ_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wformat=2 -D_GNU_SOURCE -I. -g -O1 \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer

$(B)/fuzz_yamlpatch: tests/fuzz/fuzz_yamlpatch.c $(YP_LIB_SRCS) yamlpatch/yamlpatch.h \
                     yamlpatch/udiff.h yamlpatch/internal.h
	@mkdir -p $(dir $@)
	$(CC_FUZZ) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_yamlpatch.c $(YP_LIB_SRCS) -lyaml
