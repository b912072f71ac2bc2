"""The explainer video of /about/: its narration, and the script that remakes it."""
