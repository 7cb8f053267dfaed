"""Prompt audio, built ahead of time: TTS engines, MP3/WAV conversion, the build with its cache
and manifest. Nothing here runs during a call except the audio catalogue
(``ivr.audio.playable``), which reads the manifest to tell the engine which prompts have audio.

Importing this package is cheap: the heavy modules (numpy, miniaudio, soxr, gTTS) load only
when a build runs.
"""
