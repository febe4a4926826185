"""Audio degradation: additive noise at a target SNR, simulated reverberation, a telephone channel.

- `condition`: the AUDIO condition type (`AudioCondition.parse("reverb=rt60:0.5+snr=10,noise=babble")`),
  stdlib only;
- `noise`, `reverb`, `telephone`: one component each;
- `degrade`: `degrade(samples, condition, clip_id=...)` applies a condition deterministically, and
  `DegradeCache` keeps the results on disk.

Nothing here is imported by the rest of the harness yet; the run spec, the feature cache and the ASR
sources are wired to it separately.
"""
