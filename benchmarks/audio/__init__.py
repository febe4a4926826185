"""Audio degradation: additive noise at a target SNR, simulated reverberation, a telephone channel.

- the condition itself is a typed value of the run spec (`lemer.core.audio_condition.AudioCondition`);
- `noise`, `reverb`, `telephone`: one component each;
- `degrade`: `degrade(samples, condition, clip_id=...)` applies a condition deterministically, and
  `DegradeCache` keeps the results on disk;
- `source`: `DegradedAudio`, the clip reader the feature store and the ASR engines use for a degraded split
  (its cache keys name the clip, the condition and the noise source).
"""
