# yamlpatch: the library (no I/O in the core, plus yp_file for atomic writes)
# and its CLI.  libcyaml is used by the CLI only (patch documents), so programs
# that link just the library (cass-entry) need libyaml alone.
YP_LIB_SRCS := yamlpatch/doc.c yamlpatch/path.c yamlpatch/scalar.c \
               yamlpatch/edit.c yamlpatch/verify.c yamlpatch/yp_file.c \
               yamlpatch/udiff.c
YP_LIB_OBJS := $(YP_LIB_SRCS:%.c=$(B)/obj/%.o)
YP_LIB      := $(B)/libyamlpatch.a

yamlpatch_SRCS := $(YP_LIB_SRCS) yamlpatch/patchfile.c yamlpatch/main.c
yamlpatch_LIBS := -lcyaml -lyaml

$(YP_LIB): $(YP_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(B)/yamlpatch: $(B)/obj/yamlpatch/main.o $(B)/obj/yamlpatch/patchfile.o $(YP_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(yamlpatch_LIBS)

PROGRAMS        += $(B)/yamlpatch
STATIC_PROGRAMS += yamlpatch

$(B)/tests/test_yamlpatch: $(B)/obj/tests/unit/test_yamlpatch.o $(YP_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lyaml
UNIT_TESTS += $(B)/tests/test_yamlpatch

$(B)/tests/test_resolvers: $(B)/obj/tests/unit/test_resolvers.o $(YP_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lyaml
UNIT_TESTS += $(B)/tests/test_resolvers
