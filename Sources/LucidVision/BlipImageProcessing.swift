extension CLIPPreprocessorConfig {
    /// Reads a `BlipImageProcessor` config (InstructBLIP, BLIP-2): the CLIP steps with the configured
    /// exact `size` and no centre crop (BLIP's processor has none, so its config has no `do_center_crop`,
    /// which CLIP's reader would default to true).
    public static func loadBlip(path: String) throws -> CLIPPreprocessorConfig {
        var config = try load(path: path)
        config.doCenterCrop = false
        return config
    }
}
