import LucidTensor

extension SafetensorsCheckpoint: TensorSource {
    public var tensorNames: [String] { names }
    public func shape(of name: String) -> [Int]? { entry(named: name)?.entry.shape }
    public func tensor(named name: String) throws -> Tensor { try loadTensor(named: name) }
    public var sourceDescription: String { path }
    public func releaseStorage(of name: String) { releasePages(of: name) }
}

extension GGUFFile: TensorSource {
    /// llama.cpp's own tensor names (`blk.0.attn_q.weight`); model loaders rename them.
    public var tensorNames: [String] { tensors.map(\.name) }
    public func shape(of name: String) -> [Int]? { tensors.first { $0.name == name }?.shape }
    public func tensor(named name: String) throws -> Tensor { try loadTensor(named: name) }
    public var sourceDescription: String { path }
    public func releaseStorage(of name: String) { releasePages(of: name) }
}
