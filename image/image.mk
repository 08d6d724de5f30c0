# image/image.mk: `make image` builds the product image cass-entry:<version>
# and everything under it (packages, engine, base and Cassandra images, the
# static binaries) through image/build.sh, which caches each step by its inputs.
.PHONY: image
image:
	image/build.sh
