//! Workload tiers: what an item in service is used for. Second-life tiers are the lighter
//! workloads older hardware is redeployed to.

text_enum! {
    /// The workload an item serves.
    pub enum WorkloadTier {
        AiTraining = "ai_training" / "AI training",
        AiInference = "ai_inference" / "AI inference",
        Hpc = "hpc" / "HPC / simulation",
        GeneralCompute = "general_compute" / "General compute / virtualisation",
        Database = "database" / "Databases",
        WebServices = "web_services" / "Web and application services",
        Storage = "storage" / "Primary storage",
        SmallModelInference = "small_model_inference" / "Small-language-model inference",
        BatchInference = "batch_inference" / "Offline / batch inference and embeddings",
        CiBuild = "ci_build" / "CI and build runners",
        DevTest = "dev_test" / "Development and test",
        Edge = "edge" / "Edge site",
        EducationLab = "education_lab" / "Education and training lab",
        ColdStorage = "cold_storage" / "Cold / archival storage",
    }
}

impl WorkloadTier {
    /// Lighter workloads suited to hardware in its second life.
    pub fn is_second_life(self) -> bool {
        use WorkloadTier::*;
        matches!(self, SmallModelInference | BatchInference | CiBuild | DevTest | Edge | EducationLab | ColdStorage)
    }
}
