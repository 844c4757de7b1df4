//! All of lisa's AWS I/O: the environment, stack operations, the model registry and the lifecycle.
