//! Tests of the object contract: encoding, decoding, versions, value types.

mod metadata {
    use crate::*;

    fn sample() -> Metadata {
        Metadata {
            ksyms: Vec::new(),
            core_relocs: Vec::new(),
            compiler_version: "0.1.0".into(),
            source_name: "x.bt".into(),
            source_hash: "00".into(),
            probes: vec![ProbeSpec {
                program: "BEGIN_0".into(),
                section: "raw_tp".into(),
                name: "BEGIN".into(),
                attach: Attach::Begin,
                cookie: None,
            }],
            maps: vec![
                MapSpec {
                    symbol: "events".into(),
                    role: MapRole::Events,
                },
                MapSpec {
                    symbol: "m_x".into(),
                    role: MapRole::User {
                        name: "@x".into(),
                        key: Some(Ty::Str { size: 16 }),
                        value: Ty::Int {
                            size: 8,
                            signed: false,
                        },
                        agg: AggKind::Count,
                        additive: false,
                    },
                },
            ],
            printfs: vec![PrintfSpec {
                format: "%d\n".into(),
                args: vec![Field {
                    offset: 0,
                    ty: Ty::Int {
                        size: 8,
                        signed: true,
                    },
                }],
            }],
            joins: vec![],
            unsafe_builtins: false,
            source: Some("BEGIN { exit(); }".into()),
            params: vec![
                ParamSpec {
                    symbol: "tracec_param_1_int".into(),
                    kind: ParamKind::Positional { index: 1 },
                    ty: ParamType::Int,
                },
                ParamSpec {
                    symbol: "tracec_opt_name".into(),
                    kind: ParamKind::Named {
                        name: "name".into(),
                        default: ParamValue::Str("x".into()),
                        description: None,
                    },
                    ty: ParamType::Str { size: 64 },
                },
            ],
            print_values: vec![Ty::Str { size: 8 }],
            skip_maps_on_exit: false,
            runtime_config: Vec::new(),
            bound_args: Vec::new(),
            attach_templates: Vec::new(),
            strftime_formats: Vec::new(),
            symbol_globals: Vec::new(),
            attach_names: vec![AttachName {
                probe: "BEGIN".into(),
                func: String::new(),
            }],
            missing_probes: MissingProbes::Warn,
            syscall_names: vec![String::new(), "write".into()],
            skb_outputs: Vec::new(),
        }
    }

    #[test]
    fn params_encode_and_default_to_empty() {
        assert_eq!(
            ParamType::Int.encode(&ParamValue::Int(-2)).unwrap(),
            (-2i64).to_le_bytes()
        );
        assert_eq!(
            ParamType::Bool.encode(&ParamValue::Bool(true)).unwrap(),
            1u64.to_le_bytes()
        );
        assert_eq!(
            ParamType::Str { size: 4 }
                .encode(&ParamValue::Str("hello".into()))
                .unwrap(),
            b"hel\0"
        );
        assert_eq!(ParamType::Int.encode(&ParamValue::Bool(false)), None);
        // Metadata written before parameters existed reads as "no parameters".
        let mut json = serde_json::to_value(sample()).unwrap();
        json.as_object_mut().unwrap().remove("params");
        let old: Metadata = serde_json::from_value(json).unwrap();
        assert!(old.params.is_empty());
    }

    #[test]
    fn objects_before_attach_names_read_without_cookies() {
        let mut m = sample();
        m.probes[0].cookie = Some(0);
        let mut json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["probes"][0]["cookie"], 0);
        json.as_object_mut().unwrap().remove("attach_names");
        json["probes"][0].as_object_mut().unwrap().remove("cookie");
        let old: Metadata = serde_json::from_value(json).unwrap();
        assert_eq!(old.probes[0].cookie, None);
        assert!(old.attach_names.is_empty());
        // No cookie: the field is left out.
        let plain = serde_json::to_value(sample()).unwrap();
        assert!(plain["probes"][0].get("cookie").is_none());
        assert_eq!(FmtKind::ProbeName.size(), 8);
        assert_eq!(
            serde_json::to_value(FmtKind::FuncName).unwrap()["kind"],
            "func_name"
        );
    }

    #[test]
    fn missing_probes_is_lowercase_and_defaults_to_error() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["missing_probes"], "warn");
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("missing_probes");
        let old: Metadata = serde_json::from_value(old).unwrap();
        assert_eq!(old.missing_probes, MissingProbes::Error);
    }

    #[test]
    fn round_trips() {
        let m = sample();
        let bytes = encode(&m);
        assert_eq!(&bytes[..4], b"TRCM");
        assert_eq!(decode(&bytes).unwrap(), m);
        assert!(m.events_map().is_some());
        assert!(m.lost_map().is_none());
    }

    #[test]
    fn refuses_newer_major_and_garbage() {
        let mut bytes = encode(&sample());
        bytes[4..6].copy_from_slice(&(FORMAT_MAJOR + 1).to_le_bytes());
        assert!(matches!(
            decode(&bytes),
            Err(DecodeError::NewerFormat { .. })
        ));
        assert!(decode(b"ELF").is_err());
        assert_eq!(decode(b"XXXXXXXXXXXXXXXX"), Err(DecodeError::BadMagic));
        let good = encode(&sample());
        assert_eq!(decode(&good[..20]), Err(DecodeError::Truncated));
    }

    #[test]
    fn older_minor_is_accepted() {
        let mut bytes = encode(&sample());
        bytes[6..8].copy_from_slice(&0u16.to_le_bytes());
        assert!(decode(&bytes).is_ok());
    }

    #[test]
    fn sizes() {
        let t = Ty::Tuple {
            fields: vec![
                Field {
                    offset: 0,
                    ty: Ty::Int {
                        size: 8,
                        signed: false,
                    },
                },
                Field {
                    offset: 8,
                    ty: Ty::Str { size: 16 },
                },
            ],
        };
        assert_eq!(t.size(), 24);
        assert_eq!(AggKind::Avg.slot_size(&t), 16);
        assert!(!AggKind::Assign.per_cpu());
    }
}

mod agg_kind {
    use crate::*;

    #[test]
    fn tseries_and_lhist_params_round_trip_and_resolve() {
        let ts = AggKind::Tseries {
            interval_ns: 100_000_000,
            num_intervals: 5,
            agg: TseriesAgg::Min,
        };
        let lp = AggKind::LhistParam {
            min: Bound::Const(0),
            max: Bound::Param(1),
            step: Bound::Param(0),
        };
        for a in [ts, lp] {
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<AggKind>(&json).unwrap(), a);
            assert!(a.bucketed());
        }
        assert_eq!(
            ts.slot_size(&Ty::Int {
                size: 8,
                signed: true
            }),
            24
        );
        let params = [Some(10), Some(100)];
        assert_eq!(
            lp.resolve(|i| params[i as usize]),
            Some(AggKind::Lhist {
                min: 0,
                max: 100,
                step: 10
            })
        );
        assert_eq!(lp.resolve(|_| None), None);
        assert_eq!(ts.resolve(|_| None), Some(ts));
        assert_eq!(TseriesAgg::from_name("avg"), Some(TseriesAgg::Avg));
        assert_eq!(TseriesAgg::from_name("last"), None);
    }
}
