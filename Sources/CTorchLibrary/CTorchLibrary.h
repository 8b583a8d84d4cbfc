/* Intentionally empty: see module.modulemap. libtorch's C++ headers are used by Sources/CTorch only. */
