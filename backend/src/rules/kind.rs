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

    /// Whether a complete item of `whole` kind may contain an item of this kind, directly
    /// or inside one of its parts: it fits in `whole`, or in a kind that fits in `whole`,
    /// and so on down the tree. What a model's bill of materials may list: a server's
    /// counts the CPUs and DIMMs on its board as well as the board itself.
    pub fn fits_within(self, whole: AssetKind) -> bool {
        // Kinds that fit in `whole` at some depth, grown one level per round; a chain of
        // distinct kinds is at most `ALL.len()` long.
        let mut inside: Vec<AssetKind> = Vec::new();
        let mut frontier = vec![whole];
        while let Some(outer) = frontier.pop() {
            for &k in AssetKind::ALL {
                if k.fits_in(outer) && !inside.contains(&k) {
                    inside.push(k);
                    frontier.push(k);
                }
            }
        }
        inside.contains(&self)
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

    #[test]
    fn a_whole_contains_its_parts_and_their_parts() {
        use crate::rules::AssetKind;
        // Directly or one level down, every fit is a fit within.
        for &whole in AssetKind::ALL {
            for &part in AssetKind::ALL {
                let direct = part.fits_in(whole);
                let via = AssetKind::ALL.iter().any(|&mid| mid.fits_in(whole) && part.fits_in(mid));
                if direct || via {
                    assert!(part.fits_within(whole), "{part} within {whole}");
                }
            }
        }
        for part in [Board, Cpu, Dimm, Gpu, Hdd, Ssd, Nvme, Psu, Fan, Nic, Battery] {
            assert!(part.fits_within(Server), "a server's BOM may list {part}");
        }
        for part in [Cpu, Dimm, Gpu, Nvme, Ssd, Nic] {
            assert!(part.fits_within(Board), "a board's BOM may list {part}");
        }
        assert!(Dimm.fits_within(Chassis) && Server.fits_within(Chassis));
        for part in [Server, Chassis, Hdd, Psu, Fan, Board] {
            assert!(!part.fits_within(Board), "a board holds no {part}");
        }
        assert!(!Server.fits_within(Server) && !Chassis.fits_within(Server) && !Chassis.fits_within(Chassis));
        assert!(Other.fits_within(Other) && !Cpu.fits_within(Other));
        for leaf in [Cpu, Gpu, Dimm, Hdd, Ssd, Nvme, Psu, Nic, Fan, Battery] {
            assert!(AssetKind::ALL.iter().all(|k| !k.fits_within(leaf)), "a {leaf} holds nothing");
        }
    }
}
