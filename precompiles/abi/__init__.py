"""The ABI reader and writer every precompile codec is built on.

`reader.AbiReader` decodes untrusted calldata with an element budget (offsets can alias, so
a small payload may describe billions of elements); `writer` writes return data and events
by hand, for speed. Both are schema-free: each codec spells out its own structs on top.
"""
