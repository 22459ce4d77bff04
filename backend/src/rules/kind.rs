//! What an asset is, and which kinds may be installed in which.

text_enum! {
    /// The kind of an asset. Servers hold boards and chips; boards hold chips.
    pub enum AssetKind {
        Server = "server" / "Server",
        Chassis = "chassis" / "Chassis / enclosure",
        Board = "board" / "Board / motherboard",
        Cpu = "cpu" / "CPU",
        Gpu = "gpu" / "GPU / accelerator",
        Dimm = "dimm" / "Memory module (DIMM)",
        Hdd = "hdd" / "Hard disk drive",
        Ssd = "ssd" / "SATA/SAS SSD",
        Nvme = "nvme" / "NVMe drive",
        Psu = "psu" / "Power supply",
        Nic = "nic" / "Network card",
        Fan = "fan" / "Fan",
        Battery = "battery" / "Battery / BBU",
        Other = "other" / "Other",
    }
}

impl AssetKind {
    /// Whether an item of this kind may be installed directly in one of `parent` kind.
    ///
    /// The rules follow physical containment in a data centre: an enclosure holds servers
    /// and shared parts, a server holds boards and parts, a board holds sockets and slots.
    /// Leaf parts hold nothing.
    pub fn fits_in(self, parent: AssetKind) -> bool {
        use AssetKind::*;
        match parent {
            Chassis => !matches!(self, Chassis),
            Server => !matches!(self, Server | Chassis),
            Board => matches!(self, Cpu | Gpu | Dimm | Nvme | Ssd | Nic | Battery | Other),
            Other => matches!(self, Other),
            Cpu | Gpu | Dimm | Hdd | Ssd | Nvme | Psu | Nic | Fan | Battery => false,
        }
    }

    /// Whether this kind can hold other items at all.
    pub fn is_container(self) -> bool {
        AssetKind::ALL.iter().any(|child| child.fits_in(self))
    }

    /// Storage that can hold user data: it must be sanitized (NIST SP 800-88) before it is
    /// reused or leaves the organisation (R2v3).
    pub fn is_data_bearing(self) -> bool {
        matches!(self, AssetKind::Hdd | AssetKind::Ssd | AssetKind::Nvme)
    }
}

#[cfg(test)]
mod tests {
    use super::AssetKind::*;

    #[test]
    fn containment_follows_the_physical_tree() {
        assert!(Board.fits_in(Server));
        assert!(Dimm.fits_in(Board));
        assert!(Dimm.fits_in(Server));
        assert!(Server.fits_in(Chassis));
        assert!(!Server.fits_in(Server));
        assert!(!Server.fits_in(Dimm));
        assert!(!Hdd.fits_in(Board));
        assert!(!Cpu.fits_in(Cpu));
        assert!(Server.is_container() && Board.is_container());
        assert!(!Dimm.is_container());
    }
}
