"""The bottom layer every package may import, and that imports none of them.

It holds what the model, the corpora, the baselines, the harness and the leaderboard share: the registry
mechanism (registry.py), atomic writes (atomic.py), the error types and their exit codes (errors.py), the
model contract (contract.py), model switches (switches.py), the training loop and layers of the neural
models (training.py, layers.py, inputs.py), metrics (metrics.py), seeding and devices. Importing this
package imports nothing heavy; torch comes in only with the modules that need it.
"""
