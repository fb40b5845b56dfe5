"""large stored files in chunks (register uploads, letters ZIPs), optionally encrypted; indexes
that let the register and letter-code pages count an area's addresses and unused codes cheaply

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 20:40:00

A register upload (a city's file is about 50 MB) and a letters ZIP are written and read a chunk
at a time, so neither a request nor the worker holds the whole file in memory.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

INCOMPLETE = "street = '' OR woonplaats = ''"


def upgrade() -> None:
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chunks', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('encrypted', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('stored_file_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_stored_file_chunks_file_id_stored_files'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file_chunks')),
    sa.UniqueConstraint('file_id', 'seq', name=op.f('uq_stored_file_chunks_file_id_seq'))
    )
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_register_entries_area_address')
        batch_op.create_index('ix_register_entries_area_address',
                              ['area_id', 'postcode', 'huisnummer', 'huisletter', 'huisnummertoevoeging', 'id'],
                              unique=False)
        batch_op.create_index('ix_register_entries_incomplete', ['area_id'], unique=False,
                              postgresql_where=sa.text(INCOMPLETE), sqlite_where=sa.text(INCOMPLETE))
    with op.batch_alter_table('letter_codes', schema=None) as batch_op:
        batch_op.create_index('ix_letter_codes_unused', ['register_entry_id'], unique=False,
                              postgresql_where=sa.text('used_at IS NULL'), sqlite_where=sa.text('used_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('letter_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_codes_unused')
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_register_entries_incomplete')
        batch_op.drop_index('ix_register_entries_area_address')
        batch_op.create_index('ix_register_entries_area_address',
                              ['area_id', 'postcode', 'huisnummer', 'huisletter', 'huisnummertoevoeging'], unique=False)
    op.drop_table('stored_file_chunks')
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_column('encrypted')
        batch_op.drop_column('chunks')
